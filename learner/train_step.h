// One learner step's gradient on the engine: advantages and aggregation coefficients over the whole batch,
// then each rank's share of the groups (group i on rank i % size) in micro-batches of whole groups of at most
// micro_batch_tokens tokens: forward with the FP32 LM head (at the sampling temperature, so log-probs compare
// with logp_gen), the loss, backward into the model's gradients (m.g, on its backend): this rank's share of the gradient (the optimiser,
// learner/optimizer.h, sums the shares over ranks); the loss statistics are summed here. Because
// coefficients and advantages are global and every loss is a sum over whole sequences, the shares sum to the
// single-rank, single-micro-batch gradient up to float summation order.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "collective/collective.h"
#include "learner/algo_config.h"
#include "learner/rollout_batch.h"
#include "model/model.h"
#include "model/ops.h"

namespace ascent {

struct StepGradient {
  double loss = 0;
  LossStats stats;          // summed / merged over ranks
  double entropy_mean = 0;  // mean over the completion tokens of every rank
  int64_t tokens = 0;       // completion tokens
  double reference_s = 0;   // this rank's time in the reference policy's forwards
};

// The model's gradients (m.g, on its backend) are zeroed, then hold this rank's share of the gradient;
// LearnerOptimizer::step takes them from there (copying them to the host arena where it runs there).
// ref: the frozen reference policy (learner/reference_policy.h), required when cfg.loss.kl.beta > 0 (else
// FailedPrecondition) and unused otherwise. In reward form its KL penalty is subtracted from the rewards
// before advantages; in loss form its log-probs enter loss_compute per micro-batch.
absl::StatusOr<StepGradient> train_step_gradients(Model& m, const RolloutBatch& rb, const AlgoConfig& cfg,
                                                  const LmHeadOptions& head, int64_t micro_batch_tokens,
                                                  Collective& coll, Model* ref = nullptr);

}  // namespace ascent
