#include "learner/rollout_proto.h"

#include "absl/strings/str_cat.h"

namespace ascent {

namespace rv1 = rollout::v1;

PromptGroup prompt_group_from_proto(const rv1::Group& g, int64_t* dropped) {
  PromptGroup pg;
  pg.prompt_id = g.prompt_id();
  pg.prompt_tokens.assign(g.prompt().begin(), g.prompt().end());
  for (const rv1::Completion& c : g.completions()) {
    if (!c.reward_ok()) {
      if (dropped) ++*dropped;
      continue;
    }
    Rollout x;
    x.tokens.assign(c.tokens().begin(), c.tokens().end());
    x.logp_gen.assign(c.logprobs().begin(), c.logprobs().end());
    x.version.assign(c.versions().begin(), c.versions().end());
    x.loss_mask.resize(x.tokens.size(), 1);
    for (int i = 0; i < c.forced_size() && i < static_cast<int>(x.loss_mask.size()); ++i) {
      x.loss_mask[static_cast<size_t>(i)] = c.forced(i) ? 0 : 1;
    }
    x.reward = c.reward();
    x.correct = c.correct();
    x.truncated = c.finish_reason() == "length";
    pg.completions.push_back(std::move(x));
  }
  return pg;
}

namespace {

rv1::Group prompt_group_to_proto(const PromptGroup& pg) {
  rv1::Group g;
  g.set_prompt_id(pg.prompt_id);
  g.mutable_prompt()->Add(pg.prompt_tokens.begin(), pg.prompt_tokens.end());
  for (const Rollout& c : pg.completions) {
    rv1::Completion* x = g.add_completions();
    x->mutable_tokens()->Add(c.tokens.begin(), c.tokens.end());
    x->mutable_logprobs()->Add(c.logp_gen.begin(), c.logp_gen.end());
    x->mutable_versions()->Add(c.version.begin(), c.version.end());
    for (uint8_t m : c.loss_mask) x->add_forced(m ? 0 : 1);
    x->set_reward(c.reward);
    x->set_reward_ok(true);
    x->set_correct(c.correct);
    x->set_finish_reason(c.truncated ? "length" : "stop");
  }
  return g;
}

}  // namespace

rv1::TrainBatch train_batch_to_proto(int64_t step, const RolloutBatch& rb) {
  rv1::TrainBatch tb;
  tb.set_step(step);
  for (const PromptGroup& g : rb.groups)
    *tb.add_groups() = prompt_group_to_proto(g), tb.add_weights(g.weight);
  return tb;
}

absl::StatusOr<RolloutBatch> train_batch_from_proto(const rv1::TrainBatch& tb) {
  if (tb.weights_size() != tb.groups_size()) {
    return absl::DataLossError(
        absl::StrCat("a batch of ", tb.groups_size(), " groups with ", tb.weights_size(), " weights"));
  }
  RolloutBatch rb;
  for (int i = 0; i < tb.groups_size(); ++i) {
    rb.groups.push_back(prompt_group_from_proto(tb.groups(i), nullptr));
    rb.groups.back().weight = tb.weights(i);
  }
  return rb;
}

}  // namespace ascent
