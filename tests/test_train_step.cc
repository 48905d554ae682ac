// The learner's step on the engine (learner/train_step.h): micro-batching and data-parallel sharding give the
// gradient of one whole-batch pass (the reference: one micro-batch on one rank), and a step of plain gradient
// descent on the CISPO loss raises the log-probability of the completions with positive advantage and lowers
// the others (the direction RL must move; checked against a fresh forward pass).
#include <gtest/gtest.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "learner/advantages.h"
#include "learner/policy_batch.h"
#include "learner/train_step.h"
#include "model/transformer.h"
#include "tests/learner_fixtures.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

RolloutBatch batch_for(Model& m, uint64_t seed) {
  return random_rollout_batch(m, seed, 4, 2);
}

std::vector<double> sequence_logprobs(Model& m, const RolloutBatch& rb) {
  const std::vector<float> lp = completion_logprobs(m, rb);
  std::vector<double> out;
  size_t k = 0;
  for (const auto& g : rb.groups)
    for (const auto& c : g.completions) {
      double s = 0;
      for (size_t t = 0; t < c.tokens.size(); ++t) s += lp[k++];
      out.push_back(s);
    }
  return out;
}

}  // namespace

TEST(TrainStep, MicroBatchesAndRanksGiveTheWholeBatchGradient) {
  Model m = test_model(ModelArch::kQwen3, false, 21);
  model_grads_enable(m);
  RolloutBatch rb = batch_for(m, 5);
  AlgoConfig cfg;
  auto local = collective_local();
  ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 1 << 20, *local).ok());
  const std::vector<float> whole = m.grads;
  ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 16, *local).ok());  // a group per micro-batch
  for (size_t i = 0; i < whole.size(); ++i)
    ASSERT_NEAR(m.grads[i], whole[i], 1e-5 + 1e-4 * std::fabs(whole[i]));
  // Two ranks' shares (each rank its groups) sum to the whole (the optimiser does that sum over ranks).
  UnsummedRank r0(0, 2), r1(1, 2);
  ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 16, r0).ok());
  const std::vector<float> share0 = m.grads;
  ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 16, r1).ok());
  for (size_t i = 0; i < whole.size(); ++i)
    ASSERT_NEAR(m.grads[i] + share0[i], whole[i], 1e-5 + 1e-4 * std::fabs(whole[i]));
}

TEST(TrainStep, ADescentStepMovesLogprobsWithTheAdvantage) {
  Model m = test_model(ModelArch::kQwen3, false, 22);
  model_grads_enable(m);
  RolloutBatch rb = batch_for(m, 6);
  AlgoConfig cfg;
  const auto adv = advantages_compute(rb, cfg.advantage);
  const std::vector<double> before = sequence_logprobs(m, rb);
  auto local = collective_local();
  ASSERT_TRUE(train_step_gradients(m, rb, cfg, LmHeadOptions{}, 1 << 20, *local).ok());
  for (size_t i = 0; i < m.params.size(); ++i) m.params[i] -= 0.01f * m.grads[i];
  const std::vector<double> after = sequence_logprobs(m, rb);
  // The objective sum_i A_i log pi(y_i) rises (to first order by lr * |grad|^2); most sequences move their
  // own way (one step on shared weights may pull a few with their neighbours).
  size_t k = 0, up = 0, down = 0;
  double gain = 0;
  for (size_t g = 0; g < rb.groups.size(); ++g) {
    for (size_t i = 0; i < rb.groups[g].completions.size(); ++i, ++k) {
      if (adv[g][i] > 0) up += after[k] > before[k];
      if (adv[g][i] < 0) down += after[k] < before[k];
      gain += adv[g][i] * (after[k] - before[k]);
    }
  }
  EXPECT_GT(gain, 0);
  EXPECT_GE(up, 6u);
  EXPECT_GE(down, 6u);
}

}  // namespace ascent
