#include "learner/optimizer.h"

#include <cmath>

#include "core/status.h"

namespace ascent {

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
  // grad_clip_global_norm over the shards: the squared norm summed over ranks.
  double sq = grad_sum_squares(g, shard_.size());
  if (zero_stage_ == 1) coll_.allreduce_sum(&sq, 1);
  const double norm = std::sqrt(sq);
  const double coef = grad_clip_coefficient(norm, cfg_.grad_clip);
  if (coef < 1.0) grad_scale(g, shard_.size(), static_cast<float>(coef));
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
