// The learner process (`ascent learner`, started by `ascent train`): rank 0 runs the Learner
// (learner/learner.h: serves RolloutService and WeightService, assembles each step's batch from the groups
// of that step's leases, filters, trains, publishes, validates, logs and checkpoints); the other ranks
// follow (learner_follow): each step they receive rank 0's batch, compute their share of the gradient, sum it
// over the Collective and take the same AdamW step. See docs/learner.md.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "collective/collective.h"
#include "learner/learner.h"
#include "learner/learner_config.h"
#include "learner/learner_models.h"
#include "learner/optimizer.h"
#include "learner/prompt_leases.h"
#include "learner/train_step.h"
#include "model/adamw.h"
#include "model/model.h"

namespace ascent {

// data: the run's prompts (read on rank 0 only; the other ranks may pass an empty set).
absl::Status learner_run(const LearnerConfig& r, const PromptSet& data, const LearnerOptions& o,
                         Collective& coll);

// A rank other than 0: trains on rank 0's batches until it says stop.
// ref: the frozen reference policy when algorithm.kl.beta > 0 (learner/reference_policy.h), else null.
absl::Status learner_follow(const LearnerConfig& r, LearnerModels& models, LearnerOptimizer& opt,
                            Collective& coll);

// The gradient of the batch on every rank, then the optimiser step (learner/optimizer.h: summed over ranks,
// clipped, AdamW; whole or ZeRO-1). grad_norm: the global norm before clipping.
absl::StatusOr<StepGradient> learner_optimise(LearnerModels& models, LearnerOptimizer& opt,
                                              const RolloutBatch& rb, const LearnerConfig& r, int64_t step,
                                              Collective& coll, double* grad_norm);

}  // namespace ascent
