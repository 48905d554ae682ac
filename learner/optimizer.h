// The learner ranks' optimiser step: the gradient summed over ranks, global-norm clipping, AdamW over the
// FP32 master weights (model/adamw.h). Two layouts of the same maths (equal up to float summation order):
//   zero_stage 0: every rank holds the whole AdamW state and receives the whole summed gradient (all-reduce);
//   zero_stage 1: ZeRO-1 (Rajbhandari et al., "ZeRO", arXiv 1910.02054, stage 1 "P_os"): each rank holds
//                 AdamW's moments for its shard of the parameters only (collective_shard), receives its
//                 shard of the summed gradient (reduce-scatter), clips by the global norm (the sum over ranks
//                 of its shard's squared norm), updates its shard and all-gathers the parameters.
// Checkpoints hold the whole state either way (gather_full), so a run resumes with any number of ranks.
// Where it runs: on the model's backend when the parameters live in a device's memory and the ranks' gradients
// can be summed there (one rank, or a Collective on device memory: NCCL); the gradients, moments (this rank's
// shard under ZeRO-1) and update stay on the device, and the host arena gets the new parameters for publishing
// and checkpoints. On the host arenas otherwise (gradients copied in, summed over ranks by MPI). One code path
// serves both: the backend's ops (model/ops.h) or the CPU's. A non-finite global gradient norm skips the
// update on every rank: parameters, moments and the step count stay as they were, and step() returns the
// norm so the caller can say so.
#pragma once

#include <cstdint>

#include "collective/collective.h"
#include "learner/learner_config.h"
#include "model/adamw.h"
#include "model/model.h"

namespace ascent {

class LearnerOptimizer {
 public:
  // n parameters; zero_stage 0 or 1 (more is refused by the recipe).
  LearnerOptimizer(const OptimizerConfig& cfg, int zero_stage, Collective& coll, int64_t n);
  // The whole state of a checkpoint (every rank reads it): this rank keeps its part.
  void load(const AdamWState& full);
  // The model's gradients (m.g: the host arena, or the device's copy) hold this rank's local gradient on
  // entry; on return m.params hold the updated parameters on every rank, and so does the backend's copy.
  // step is the optimiser step, 1-based, for the learning-rate schedule. Returns the global gradient norm
  // before clipping (non-finite: nothing changed).
  double step(Model& m, int64_t step);
  // The same step on host arrays of the optimiser's n parameters (LoRA's adapters): g holds this rank's
  // gradient on entry (overwritten), p the parameters (updated on every rank).
  double step_host(float* g, float* p, int64_t step);
  // After step(): whether every updated parameter is finite (an overflowing update makes Inf/NaN; every rank
  // gets the same answer). A learner must not publish or save parameters for which this is false.
  bool params_finite() const { return params_finite_; }
  // Every rank calls it: rank 0 gets the whole state (AdamW's moments for every parameter), the others an
  // empty one.
  AdamWState gather_full();
  int zero_stage() const { return zero_stage_; }
  // The parameters whose moments this rank holds.
  Shard shard() const { return shard_; }

 private:
  double update(const BackendOps& op, float* g, float* p, float* m1, float* m2, int64_t step);
  const OptimizerConfig& cfg_;
  const int zero_stage_;
  Collective& coll_;
  const int64_t n_;
  Shard shard_;
  AdamWState state_;  // the whole state (stage 0) or this rank's shard of it (stage 1)
  // On a device: the moments live here (state_.m/v are refreshed by gather_full) once device_ is set.
  Backend* device_ = nullptr;
  bool params_finite_ = true;
  DeviceBuffer device_m_, device_v_;
};

}  // namespace ascent
