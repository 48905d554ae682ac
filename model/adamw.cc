#include "model/adamw.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/threads.h"

namespace ascent {

void adamw_init(AdamWState& s, int64_t n) {
  s.m.assign(static_cast<size_t>(n), 0.0f);
  s.v.assign(static_cast<size_t>(n), 0.0f);
  s.step = 0;
}

AdamWScalars adamw_scalars(const AdamWConfig& cfg, double lr, int64_t step) {
  AdamWScalars s;
  s.one_minus_beta1 = static_cast<float>(1.0 - cfg.beta1);
  s.beta2 = static_cast<float>(cfg.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - cfg.beta2);
  const double bc1 = 1.0 - std::pow(cfg.beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(cfg.beta2, static_cast<double>(step));
  s.step_size = static_cast<float>(lr / bc1);
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  s.decay = static_cast<float>(1.0 - lr * cfg.weight_decay);
  s.eps = static_cast<float>(cfg.eps);
  return s;
}

void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWScalars& s) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads[i];
    float p = params[i] * s.decay;
    m[i] = m[i] + (g - m[i]) * s.one_minus_beta1;  // torch: exp_avg.lerp_(grad, 1 - beta1)
    v[i] = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    const float denom = std::sqrt(v[i]) / s.bc2_sqrt + s.eps;
    params[i] = p - s.step_size * (m[i] / denom);
  }
}

void adamw_step(AdamWState& s, const AdamWConfig& cfg, double lr, float* params, const float* grads,
                int64_t n) {
  s.step += 1;
  adamw_update(params, s.m.data(), s.v.data(), grads, n, adamw_scalars(cfg, lr, s.step));
}

double grad_sum_squares(const float* grads, int64_t n) {
  constexpr int64_t kBlock = 1 << 16;
  const int64_t nb = (n + kBlock - 1) / kBlock;
  std::vector<double> part(static_cast<size_t>(nb), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nb; ++b) {
    double s = 0.0;
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
      s += static_cast<double>(grads[i]) * grads[i];
    part[b] = s;
  }
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

double grad_clip_coefficient(double norm, double max_norm) {
  return max_norm > 0.0 ? std::min(1.0, max_norm / (norm + 1e-6)) : 1.0;
}

void grad_scale(float* grads, int64_t n, float coef) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) grads[i] *= coef;
}

double grad_clip_global_norm(float* grads, int64_t n, double max_norm) {
  const double norm = std::sqrt(grad_sum_squares(grads, n));
  const double coef = grad_clip_coefficient(norm, max_norm);
  if (coef < 1.0) grad_scale(grads, n, static_cast<float>(coef));
  return norm;
}

double lr_schedule_at(const LrSchedule& s, int64_t step) {
  if (s.warmup_steps > 0 && step <= s.warmup_steps) {
    return s.lr * static_cast<double>(step) / static_cast<double>(s.warmup_steps);
  }
  if (s.kind == "cosine" && s.total_steps > s.warmup_steps) {
    const double t = std::clamp(
        static_cast<double>(step - s.warmup_steps) / static_cast<double>(s.total_steps - s.warmup_steps), 0.0,
        1.0);
    return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1.0 + std::cos(M_PI * t));
  }
  return s.lr;
}

}  // namespace ascent
