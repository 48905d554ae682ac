// The learner's loss drives the engine's backward: model gradients of a CISPO step (and a PPO-clip step)
// equal central finite differences, through the whole model, of the same loss with its stop-gradient inputs
// held at the unperturbed values. Also checks that gathered log-probs are each completion token's own.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"
#include "learner/policy_batch.h"
#include "tests/gradcheck.h"
#include "tests/learner_fixtures.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

RolloutBatch make_batch(Model& m, uint64_t seed) {
  Rng rng(seed);
  RolloutBatch rb;
  const std::vector<std::vector<int>> lens = {{3, 5}, {4, 2}};  // completion lengths per prompt
  const std::vector<int> prompt_len = {4, 2};
  for (size_t g = 0; g < lens.size(); ++g) {
    PromptGroup pg;
    pg.prompt_id = absl::StrCat("p", g);
    for (int i = 0; i < prompt_len[g]; ++i)
      pg.prompt_tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
    for (size_t i = 0; i < lens[g].size(); ++i) {
      Rollout c;
      for (int t = 0; t < lens[g][i]; ++t) {
        c.tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
        c.loss_mask.push_back(t == 1 && g == 1 ? 0 : 1);  // one forced token without loss
        c.version.push_back(0);
      }
      c.reward = static_cast<double>((g + i) % 2);
      pg.completions.push_back(c);
    }
    rb.groups.push_back(pg);
  }
  // logp_gen: the current policy's log-probs moved by a known amount, so rho spans both sides of 1.
  const std::vector<float> lp = completion_logprobs(m, rb);
  size_t k = 0;
  for (auto& g : rb.groups)
    for (auto& c : g.completions)
      for (size_t t = 0; t < c.tokens.size(); ++t, ++k)
        c.logp_gen.push_back(lp[k] + 0.3f * static_cast<float>(rng.next_normal()));
  return rb;
}

class LearnerEngine : public ::testing::TestWithParam<LossKind> {};

TEST_P(LearnerEngine, ModelGradientOfTheLossMatchesFiniteDifferences) {
  Model m = test_model(ModelArch::kQwen3, true, 13);
  model_grads_enable(m);
  RolloutBatch rb = make_batch(m, 3);
  PolicyBatch pb = policy_batch_build(rb);
  auto adv = advantages_compute(rb, {AdvantageMode::kBatchStd});
  FlatTokens tok = flat_tokens_build(rb, adv, aggregation_coefficients(rb, {AggregationMode::kPrompt}));
  LossConfig cfg;
  cfg.kind = GetParam();
  ForwardState st;
  auto engine_lp = model_forward_logprobs(m, pb.batch, &st, LmHeadOptions{});
  ASSERT_TRUE(engine_lp.ok());
  const std::vector<float> logp0 = policy_batch_gather(pb, *engine_lp);  // also the sg() inputs
  LossResult r = loss_compute(cfg, tok, logp0, logp0);
  model_grads_zero(m);
  model_backward_logprobs(m, pb.batch, st, policy_batch_scatter(pb, r.dlogp), LmHeadOptions{});
  auto f = [&] {
    auto lp = model_forward_logprobs(m, pb.batch, nullptr, LmHeadOptions{});
    return loss_compute(cfg, tok, policy_batch_gather(pb, *lp), logp0).loss;
  };
  for (const ParamInfo& p : m.layout.params) {
    GradcheckResult g =
        gradcheck(m.params.data() + p.offset, m.grads.data() + p.offset, p.numel, f, 1e-2f, 3, 5);
    EXPECT_LE(g.max_err, 2e-3 * std::max(g.max_grad, 1e-4))
        << p.name << ": " << g.max_err << " vs " << g.max_grad;
  }
}

INSTANTIATE_TEST_SUITE_P(Losses, LearnerEngine, ::testing::Values(LossKind::kCispo, LossKind::kPpoClip),
                         [](const ::testing::TestParamInfo<LossKind>& i) {
                           return std::string(i.param == LossKind::kCispo ? "cispo" : "ppo_clip");
                         });

// Each gathered log-prob is that completion token's own: compare with a forward over prompt + completion
// alone, for both layouts (prompts shared, and every completion whole).
class PolicyBatchLayouts : public ::testing::TestWithParam<bool> {};

TEST_P(PolicyBatchLayouts, GatherPicksEachCompletionTokensLogprob) {
  Model m = test_model(ModelArch::kQwen2, true, 4);
  RolloutBatch rb = make_batch(m, 9);
  PolicyBatch pb = policy_batch_build(rb, /*share_prompts=*/GetParam());
  auto lp = policy_batch_gather(pb, *model_forward_logprobs(m, pb.batch, nullptr, LmHeadOptions{}));
  size_t k = 0;
  for (const auto& g : rb.groups) {
    for (const auto& c : g.completions) {
      PackedBatch one;
      std::vector<int32_t> ids = g.prompt_tokens;
      ids.insert(ids.end(), c.tokens.begin(), c.tokens.end());
      batch_add_sequence(one, ids);
      auto alone = *model_forward_logprobs(m, one, nullptr, LmHeadOptions{});
      for (size_t j = 0; j < c.tokens.size(); ++j, ++k) {
        EXPECT_NEAR(lp[k], alone[g.prompt_tokens.size() + j - 1], 1e-5);
      }
    }
  }
  EXPECT_EQ(k, lp.size());
  auto back = policy_batch_scatter(pb, lp);
  EXPECT_EQ(static_cast<int64_t>(back.size()), pb.num_targets);
  std::vector<bool> completion_row(back.size(), false);
  for (size_t i = 0; i < pb.rows.size(); ++i) {
    completion_row[pb.rows[i]] = true;
    EXPECT_EQ(back[pb.rows[i]], lp[i]);
  }
  for (size_t r = 0; r < back.size(); ++r) {
    if (!completion_row[r]) {
      EXPECT_EQ(back[r], 0.0f) << "engine row " << r << " is a prompt position";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SharedAndWhole, PolicyBatchLayouts, ::testing::Bool());

}  // namespace

}  // namespace ascent
