#include "learner/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/status.h"

namespace ascent {
namespace {

// Sum of squares in fixed blocks summed in order: the same value for any thread count.
double sum_squares(const float* x, int64_t n) {
  constexpr int64_t kBlock = 1 << 16;
  const int64_t nb = (n + kBlock - 1) / kBlock;
  std::vector<double> part(static_cast<size_t>(nb), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nb; ++b) {
    double s = 0.0;
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
      s += static_cast<double>(x[i]) * x[i];
    part[static_cast<size_t>(b)] = s;
  }
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

void scale(float* x, int64_t n, float c) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) x[i] *= c;
}

}  // namespace

LearnerOptimizer::LearnerOptimizer(const OptimizerConfig& cfg, int zero_stage, Collective& coll, int64_t n)
    : cfg_(cfg),
      zero_stage_(zero_stage),
      coll_(coll),
      n_(n),
      shard_(zero_stage == 1 ? collective_shard(n, coll.rank(), coll.size()) : Shard{0, n}) {
  ASCENT_CHECK(zero_stage == 0 || zero_stage == 1, "zero_stage is 0 or 1");
  adamw_init(state_, shard_.size());
}

void LearnerOptimizer::load(const AdamWState& full) {
  ASCENT_CHECK(static_cast<int64_t>(full.m.size()) == n_ && static_cast<int64_t>(full.v.size()) == n_,
               "the checkpoint's AdamW state does not match the model");
  state_.m.assign(full.m.begin() + shard_.begin, full.m.begin() + shard_.end);
  state_.v.assign(full.v.begin() + shard_.begin, full.v.begin() + shard_.end);
  state_.step = full.step;
}

double LearnerOptimizer::step(Model& m, int64_t step) {
  ASCENT_CHECK(static_cast<int64_t>(m.params.size()) == n_, "the model's size changed under its optimiser");
  float* g = m.grads.data() + shard_.begin;
  if (zero_stage_ == 0) {
    coll_.allreduce_sum(m.grads.data(), n_);
  } else {
    coll_.reduce_scatter_sum(m.grads.data(), n_);
  }
  double sq = sum_squares(g, shard_.size());
  if (zero_stage_ == 1) coll_.allreduce_sum(&sq, 1);
  const double norm = std::sqrt(sq);
  // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), capped at 1 (as grad_clip_global_norm).
  if (cfg_.grad_clip > 0.0) {
    const double coef = std::min(1.0, cfg_.grad_clip / (norm + 1e-6));
    if (coef < 1.0) scale(g, shard_.size(), static_cast<float>(coef));
  }
  adamw_step(state_, cfg_.adamw, lr_schedule_at(cfg_.schedule, step), m.params.data() + shard_.begin, g,
             shard_.size());
  if (zero_stage_ == 1) coll_.all_gather(m.params.data(), n_);
  model_params_to_backend(m);
  return norm;
}

AdamWState LearnerOptimizer::gather_full() {
  if (zero_stage_ == 0) return coll_.rank() == 0 ? state_ : AdamWState{};
  AdamWState full;
  full.step = state_.step;
  if (coll_.rank() == 0) full.m.resize(static_cast<size_t>(n_)), full.v.resize(static_cast<size_t>(n_));
  coll_.gather_shards(state_.m.data(), full.m.data(), n_, 0);
  coll_.gather_shards(state_.v.data(), full.v.data(), n_, 0);
  return full;
}

}  // namespace ascent
