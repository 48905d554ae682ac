#include "learner/sft.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/rng.h"
#include "learner/policy_batch.h"
#include "model/adamw.h"
#include "model/transformer.h"

namespace ascent {

absl::StatusOr<double> sft_run(Model& m, const std::vector<PromptRecord>& data, const PromptText& text,
                               int32_t eos, const SftConfig& cfg,
                               const std::function<void(int64_t, double)>& log) {
  if (data.empty()) return absl::InvalidArgumentError("no examples");
  // Tokenise once.
  std::vector<PromptGroup> examples;
  for (const PromptRecord& r : data) {
    auto p = text.encode(r.text);
    if (!p.ok())
      return absl::InvalidArgumentError(absl::StrCat("example ", r.id, ": ", p.status().message()));
    auto a = text.encode_plain ? text.encode_plain(r.answer) : text.encode(r.answer);
    if (!a.ok())
      return absl::InvalidArgumentError(absl::StrCat("example ", r.id, ": ", a.status().message()));
    PromptGroup g;
    g.prompt_id = r.id;
    g.prompt_tokens = *p;
    Rollout c;
    c.tokens = *a;
    c.tokens.push_back(eos);
    g.completions.push_back(std::move(c));
    examples.push_back(std::move(g));
  }
  model_grads_enable(m);
  AdamWState opt;
  adamw_init(opt, static_cast<int64_t>(m.params.size()));
  AdamWConfig acfg;
  acfg.lr = cfg.lr;
  acfg.weight_decay = cfg.weight_decay;
  LrSchedule sched;
  sched.lr = cfg.lr;
  sched.warmup_steps = cfg.warmup_steps;
  Rng rng(cfg.seed);
  double recent = 0;
  int64_t recent_n = 0;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    RolloutBatch rb;
    int64_t n = 0;
    for (int64_t b = 0; b < cfg.batch; ++b) {
      rb.groups.push_back(examples[rng.next_u64() % examples.size()]);
      n += static_cast<int64_t>(rb.groups.back().completions[0].tokens.size());
    }
    const PolicyBatch pb = policy_batch_build(rb);
    ForwardState st;
    auto lp = model_forward_logprobs(m, pb.batch, &st, LmHeadOptions{});
    if (!lp.ok()) return lp.status();
    const std::vector<float> logp = policy_batch_gather(pb, *lp);
    double loss = 0;
    for (float x : logp) loss -= x;
    loss /= static_cast<double>(n);
    model_grads_zero(m);
    model_backward_logprobs(
        m, pb.batch, st,
        policy_batch_scatter(pb, std::vector<float>(logp.size(), -1.0f / static_cast<float>(n))),
        LmHeadOptions{});
    model_grads_to_host(m);  // the optimiser runs on the host arenas (no-ops on the CPU backend)
    const double norm =
        grad_clip_global_norm(m.grads.data(), static_cast<int64_t>(m.grads.size()), cfg.grad_clip);
    if (std::isfinite(
            norm)) {  // a non-finite gradient is never trained: the step is skipped (its loss says so)
      adamw_step(opt, acfg, lr_schedule_at(sched, step + 1), m.params.data(), m.grads.data(),
                 static_cast<int64_t>(m.params.size()));
      model_params_to_backend(m);
    }
    if (step >= cfg.steps - 20) recent += loss, ++recent_n;
    if (log) log(step + 1, loss);
  }
  return recent_n ? recent / static_cast<double>(recent_n) : 0.0;
}

}  // namespace ascent
