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
  device_ = nullptr;  // the next step on a device uploads the loaded moments
}

// The step's maths wherever the arrays live (op: the ops of the backend that holds them): the ranks' sum,
// the global norm, the skip of a non-finite one, clipping, AdamW on this rank's shard, the finiteness of what
// it wrote, ZeRO-1's all-gather. m1/m2 are this rank's shard of the moments.
double LearnerOptimizer::update(const BackendOps& op, float* g, float* p, float* m1, float* m2,
                                int64_t step) {
  const int64_t ns = shard_.size();
  const bool ranks = coll_.size() > 1;  // else the sums are the rank's own gradient
  if (ranks && zero_stage_ == 0) coll_.allreduce_sum(g, n_);
  if (ranks && zero_stage_ == 1) coll_.reduce_scatter_sum(g, n_);
  // grad_clip_global_norm over the shards: the squared norm summed over ranks.
  double sq = op.sum_squares(g + shard_.begin, ns);
  if (ranks && zero_stage_ == 1) coll_.allreduce_sum(&sq, 1);
  const double norm = std::sqrt(sq);
  if (!std::isfinite(norm)) return norm;  // every rank sees the same norm, so every rank skips
  const double coef = grad_clip_coefficient(norm, cfg_.grad_clip);
  if (coef < 1.0) op.scale(g + shard_.begin, ns, static_cast<float>(coef));
  state_.step += 1;
  op.adamw_update(p + shard_.begin, m1, m2, g + shard_.begin, ns,
                  adamw_scalars(cfg_.adamw, lr_schedule_at(cfg_.schedule, step), state_.step));
  double psq = op.sum_squares(p + shard_.begin, ns);
  if (ranks && zero_stage_ == 1) coll_.allreduce_sum(&psq, 1);
  params_finite_ = std::isfinite(psq);
  if (ranks && zero_stage_ == 1) coll_.all_gather(p, n_);
  return norm;
}

double LearnerOptimizer::step(Model& m, int64_t step) {
  ASCENT_CHECK(static_cast<int64_t>(m.params.size()) == n_, "the model's size changed under its optimiser");
  const bool on_device = !m.backend->host_memory() && (coll_.size() == 1 || coll_.device_memory());
  ASCENT_CHECK(on_device || !coll_.device_memory(),
               "a Collective on device memory (NCCL) with the parameters on the host");
  if (!on_device) {
    model_grads_to_host(m);  // a no-op on the CPU backend
    const double norm =
        update(backend_cpu().ops(), m.grads.data(), m.params.data(), state_.m.data(), state_.v.data(), step);
    if (std::isfinite(norm)) model_params_to_backend(m);
    return norm;
  }
  Backend& b = *m.backend;
  const int64_t ns = shard_.size();
  if (device_ != &b) {
    b.copy_to_device(device_m_.ensure<float>(b, ns), state_.m.data(), static_cast<size_t>(ns) * 4);
    b.copy_to_device(device_v_.ensure<float>(b, ns), state_.v.data(), static_cast<size_t>(ns) * 4);
    device_ = &b;
  }
  float* p = m.device_params.data<float>();
  const double norm = update(b.ops(), m.device_grads.data<float>(), p, device_m_.data<float>(),
                             device_v_.data<float>(), step);
  if (std::isfinite(norm))
    b.copy_to_host(m.params.data(), p, static_cast<size_t>(n_) * 4);  // publishing and checkpoints read it
  return norm;
}

double LearnerOptimizer::step_host(float* g, float* p, int64_t step) {
  ASCENT_CHECK(!coll_.device_memory(), "a Collective on device memory (NCCL) with host arrays");
  return update(backend_cpu().ops(), g, p, state_.m.data(), state_.v.data(), step);
}

AdamWState LearnerOptimizer::gather_full() {
  if (device_ != nullptr && shard_.size() > 0) {
    const size_t bytes = static_cast<size_t>(shard_.size()) * 4;
    device_->copy_to_host(state_.m.data(), device_m_.data<float>(), bytes);
    device_->copy_to_host(state_.v.data(), device_v_.data<float>(), bytes);
  }
  if (zero_stage_ == 0) return coll_.rank() == 0 ? state_ : AdamWState{};
  AdamWState full;
  full.step = state_.step;
  if (coll_.rank() == 0) full.m.resize(static_cast<size_t>(n_)), full.v.resize(static_cast<size_t>(n_));
  coll_.gather_shards(state_.m.data(), full.m.data(), n_, 0);
  coll_.gather_shards(state_.v.data(), full.v.data(), n_, 0);
  return full;
}

}  // namespace ascent
