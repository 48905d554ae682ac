// AdamW with decoupled weight decay over the flat parameter arena, written to match torch.optim.AdamW
// (bias-corrected; eps added after the bias-corrected sqrt; 1e-15 works), plus global-norm gradient clipping
// and learning-rate schedules (linear warm-up, then constant or cosine).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ops.h"

namespace ascent {

struct AdamWConfig {
  double lr = 1e-6;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

struct AdamWState {
  std::vector<float> m, v;
  int64_t step = 0;
};

void adamw_init(AdamWState& s, int64_t n);
// The scalars of the step that makes the state's step count `step` (1-based), at learning rate lr.
AdamWScalars adamw_scalars(const AdamWConfig& cfg, double lr, int64_t step);
// The elementwise update on host arrays (the CPU backend's op): with g = grads[i],
//   p *= decay; m += (g - m)(1 - beta1); v = beta2 v + (1 - beta2) g^2; p -= step_size m / (sqrt(v)/bc2_sqrt + eps).
void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWScalars& s);
// One step at learning rate lr (from a schedule); applies to every parameter.
void adamw_step(AdamWState& s, const AdamWConfig& cfg, double lr, float* params, const float* grads,
                int64_t n);

// Scales grads so their global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_: coefficient
// max_norm / (norm + 1e-6), capped at 1). Returns the norm before clipping. max_norm <= 0 only measures.
double grad_clip_global_norm(float* grads, int64_t n, double max_norm);
// The pieces of grad_clip_global_norm, for gradients held in shards (ZeRO-1, learner/optimizer.h):
// sum of squares in fixed blocks summed in order (the same value for any thread count); the clipping
// coefficient max_norm / (norm + 1e-6) capped at 1 (1 when max_norm <= 0); grads *= coef.
double grad_sum_squares(const float* grads, int64_t n);
double grad_clip_coefficient(double norm, double max_norm);
void grad_scale(float* grads, int64_t n, float coef);

struct LrSchedule {
  std::string kind = "constant";  // constant | cosine
  double lr = 1e-6;
  int64_t warmup_steps = 0;  // linear warm-up from lr/warmup to lr
  int64_t total_steps = 0;   // cosine: decay ends here
  double min_lr = 0.0;       // cosine floor
};
// Learning rate for optimiser step `step` (1-based).
double lr_schedule_at(const LrSchedule& s, int64_t step);

}  // namespace ascent
