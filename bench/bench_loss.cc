// Learner maths vs a forward pass: advantages + aggregation + CISPO and PPO-clip losses (value, dL/dlogp and
// metrics) over one ScaleRL batch of 48 prompts x 16 completions x 8,192 tokens (6.3M tokens), against the
// engine's log-prob forward pass over 8,192 tokens of the small preset (25M parameters), both per token.
// The loss must cost a negligible share of a step; a real policy (0.5B and up) only makes the forward
// costlier.
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "core/memory.h"
#include "core/rng.h"
#include "core/threads.h"
#include "learner/advantages.h"
#include "learner/aggregation.h"
#include "learner/losses.h"
#include "learner/step_metrics.h"
#include "model/model.h"
#include "model/transformer.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main() {
  memory_keep_freed_pages();
  threads_set_count(0);
  const int P = 48, G = 16, T = 8192;
  Rng rng(1);
  RolloutBatch batch;
  std::vector<float> logp;
  for (int p = 0; p < P; ++p) {
    PromptGroup g;
    g.prompt_id = absl::StrCat("p", p);
    for (int i = 0; i < G; ++i) {
      Rollout c;
      c.tokens.assign(T, 1);
      c.loss_mask.assign(T, 1);
      c.version.assign(T, 5);
      c.logp_gen.resize(T);
      for (int t = 0; t < T; ++t) {
        c.logp_gen[t] = static_cast<float>(-rng.next_uniform() * 3);
        logp.push_back(c.logp_gen[t] + static_cast<float>(0.1 * rng.next_normal()));
      }
      c.reward = rng.next_uniform() < 0.5 ? 1.0 : 0.0;
      c.correct = c.reward > 0;
      g.completions.push_back(std::move(c));
    }
    batch.groups.push_back(std::move(g));
  }
  const double tokens = static_cast<double>(P) * G * T;
  double best_loss = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = now();
    auto adv = advantages_compute(batch, {AdvantageMode::kBatchStd});
    auto coef = aggregation_coefficients(batch, {AggregationMode::kPrompt});
    FlatTokens tok = flat_tokens_build(batch, adv, coef);
    LossConfig cispo, ppo;
    ppo.kind = LossKind::kPpoClip;
    LossResult a = loss_compute(cispo, tok, logp, logp);
    LossResult b = loss_compute(ppo, tok, logp, logp);
    StepMetricsInput in;
    in.loss = &a;
    in.batch = &batch;
    in.groups_before_filter = P;
    in.learner_version = 6;
    auto m = step_metrics_compute(in);
    best_loss = std::min(best_loss, (now() - t0) / 2.0);  // per loss: both losses share the other work
    if (rep == 0)
      std::printf("check: cispo loss %.6f, ppo loss %.6f, lag/max %.0f\n", a.loss, b.loss, m["lag/max"]);
  }

  auto cfg = model_config_preset(ModelArch::kQwen2, "small", 0);
  auto model = model_create(*cfg, DType::kF32);
  model_init_random(*model, 1);
  PackedBatch fb;
  for (int s = 0; s < 4; ++s) {
    std::vector<int32_t> ids;
    for (int t = 0; t < 2048; ++t) ids.push_back(static_cast<int32_t>(rng.next_u64() % 256));
    batch_add_sequence(fb, ids);
  }
  ForwardState st;
  double best_fwd = 1e30;
  for (int rep = 0; rep < 2; ++rep) {
    const double t0 = now();
    auto lp = model_forward_logprobs(*model, fb, &st, LmHeadOptions{});
    best_fwd = std::min(best_fwd, now() - t0);
  }
  const double loss_ns = best_loss / tokens * 1e9, fwd_ns = best_fwd / 8192.0 * 1e9;
  std::printf("threads %d\n", threads_get_count());
  std::printf("| work | tokens | seconds | ns / token |\n| --- | ---: | ---: | ---: |\n");
  std::printf(
      "| advantages + aggregation + loss + dL/dlogp + metrics (ScaleRL batch) | %.0f | %.3f | %.1f |\n",
      tokens, best_loss, loss_ns);
  std::printf("| baseline: engine log-prob forward, small preset (25M), 4 x 2048 | 8192 | %.3f | %.1f |\n",
              best_fwd, fwd_ns);
  std::printf(
      "loss / forward cost per token: %.5f (%.3f%% of the forward alone; the backward adds ~2x more)\n",
      loss_ns / fwd_ns, 100.0 * loss_ns / fwd_ns);
  return 0;
}
