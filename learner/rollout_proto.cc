#include "learner/rollout_proto.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace ascent {

namespace rv1 = rollout::v1;

namespace {

absl::Status tokens_check(const google::protobuf::RepeatedField<int32_t>& t, int64_t vocab,
                          const std::string& what) {
  for (int i = 0; i < t.size(); ++i) {
    if (t[i] < 0 || t[i] >= vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " token ", i, ": id ", t[i], " outside the vocabulary [0, ", vocab, ")"));
    }
  }
  return absl::OkStatus();
}

// Tool-use counts: turns within the recipe's max_turns, at most one call per token, failed calls by the known
// kinds (tools/tool.h, generation/tool_calls.h), adding up to no more than the calls.
absl::Status tools_check(const rv1::Completion& c, const GroupLimits& lim, const std::string& what) {
  if (c.turns() < 0 || c.turns() > lim.max_turns) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", c.turns(), " turns (at most ", lim.max_turns, ")"));
  }
  if (c.tool_calls() < 0 || c.tool_calls() > c.tokens_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", c.tool_calls(), " tool calls in ", c.tokens_size(), " tokens"));
  }
  int64_t failed = 0;
  static const std::set<std::string> kKinds = {"malformed", "truncated", "unknown_tool", "bad_arguments",
                                               "failed",    "limit",     "timeout",      "output_limit"};
  for (const auto& [kind, n] : c.tool_errors()) {
    if (!kKinds.count(kind) || n < 0) {  // a closed set: an actor cannot invent metric names
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": tool error kind \"", kind.substr(0, 32), "\" count ", n));
    }
    failed += n;
  }
  if (failed > c.tool_calls()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", failed, " failed tool calls of ", c.tool_calls()));
  }
  return absl::OkStatus();
}

absl::Status completion_check(const rv1::Completion& c, const GroupLimits& lim, int64_t prompt_tokens,
                              const std::string& what) {
  const int64_t vocab = lim.vocab_size;
  const int n = c.tokens_size();
  if (n == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": no tokens"));
  if (prompt_tokens + n > lim.max_sequence_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", n, " tokens after a prompt of ", prompt_tokens,
                                                   ", longer than the model's ", lim.max_sequence_tokens));
  }
  if (c.logprobs_size() != n || c.versions_size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", n, " tokens but ", c.logprobs_size(),
                                                   " log-probs and ", c.versions_size(), " versions"));
  }
  if (c.forced_size() != 0 && c.forced_size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", n, " tokens but ", c.forced_size(), " forced flags"));
  }
  if (absl::Status st = tokens_check(c.tokens(), vocab, what); !st.ok()) return st;
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(c.logprobs(i)) || c.logprobs(i) > 1e-4f) {
      return absl::InvalidArgumentError(absl::StrCat(what, " token ", i, ": log-prob ", c.logprobs(i)));
    }
    if (c.versions(i) < 0 || c.versions(i) > lim.max_version) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " token ", i, ": weights version ", c.versions(i),
          c.versions(i) < 0 ? "" : absl::StrCat(" (the learner has published ", lim.max_version, ")")));
    }
  }
  if (c.reward_ok() && !std::isfinite(c.reward())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": reward ", c.reward()));
  }
  return tools_check(c, lim, what);
}

}  // namespace

absl::Status rollout_group_validate(const rv1::Group& g, int64_t vocab_size) {
  GroupLimits lim;
  lim.vocab_size = vocab_size;
  return rollout_group_validate(g, lim);
}

absl::Status rollout_group_validate(const rv1::Group& g, const GroupLimits& lim) {
  const std::string where = absl::StrCat("lease ", g.lease());
  if (static_cast<int64_t>(g.prompt_id().size()) > lim.max_prompt_id_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": a prompt id of ", g.prompt_id().size(),
                                                   " bytes (at most ", lim.max_prompt_id_bytes, ")"));
  }
  if (g.prompt_size() == 0) return absl::InvalidArgumentError(where + ": empty prompt");
  if (g.prompt_size() >= lim.max_sequence_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": a prompt of ", g.prompt_size(),
                                                   " tokens leaves no room in the model's ",
                                                   lim.max_sequence_tokens));
  }
  if (absl::Status st = tokens_check(g.prompt(), lim.vocab_size, where + " prompt"); !st.ok()) return st;
  if (g.completions_size() == 0) return absl::InvalidArgumentError(where + ": no completions");
  if (g.completions_size() > lim.max_completions) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", g.completions_size(), " completions (the group size is ", lim.max_completions, ")"));
  }
  for (int i = 0; i < g.completions_size(); ++i) {
    absl::Status st =
        completion_check(g.completions(i), lim, g.prompt_size(), absl::StrCat(where, " completion ", i));
    if (!st.ok()) return st;
  }
  if (g.has_hero_sigma() && !(std::isfinite(g.hero_sigma()) && g.hero_sigma() >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": HERO sigma ", g.hero_sigma()));
  }
  return absl::OkStatus();
}

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
    x.turns = c.turns();
    x.tool_calls = c.tool_calls();
    for (const auto& [kind, n] : c.tool_errors()) x.tool_errors[kind] = n;
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
