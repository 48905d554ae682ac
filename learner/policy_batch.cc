#include "learner/policy_batch.h"

#include "core/status.h"

namespace ascent {

namespace {

// A group of two or more completions of a prompt of two or more tokens is packed with its prompt shared.
bool shares_prompt(const PromptGroup& g) {
  return g.prompt_tokens.size() >= 2 && g.completions.size() >= 2;
}

// Tokens a group takes in the packed batch.
int64_t packed_tokens(const PromptGroup& g) {
  const int64_t P = static_cast<int64_t>(g.prompt_tokens.size());
  int64_t t = shares_prompt(g) ? P - 1 : 0;
  for (const Rollout& c : g.completions)
    t += static_cast<int64_t>(c.tokens.size()) + (shares_prompt(g) ? 1 : P);
  return t;
}

}  // namespace

PolicyBatch policy_batch_build(const RolloutBatch& rb, bool share_prompts) {
  PolicyBatch pb;
  for (const auto& g : rb.groups) {
    ASCENT_CHECK(!g.prompt_tokens.empty(), "a prompt needs at least one token");
    const bool share = share_prompts && shares_prompt(g);
    // Shared: the prompt's tokens 0..P-2 once, then per completion its last prompt token and the completion
    // (a continuation: completion token j is the continuation's token j + 1, its target j). Else per
    // completion the whole sequence: completion token j is token P + j, its target P + j - 1.
    const int64_t P = static_cast<int64_t>(g.prompt_tokens.size());
    const int64_t lead = share ? 1 : P;  // tokens before the completion in its segment
    int64_t prefix = -1;
    if (share) {
      prefix = batch_add_sequence(pb.batch, {g.prompt_tokens.begin(), g.prompt_tokens.end() - 1},
                                  /*targets=*/false);
    }
    for (const auto& c : g.completions) {
      std::vector<int32_t> ids(g.prompt_tokens.end() - lead, g.prompt_tokens.end());
      ids.insert(ids.end(), c.tokens.begin(), c.tokens.end());
      for (int64_t j = 0; j < static_cast<int64_t>(c.tokens.size()); ++j)
        pb.rows.push_back(pb.num_targets + lead + j - 1);
      pb.num_targets += static_cast<int64_t>(ids.size()) - 1;
      if (share) {
        batch_add_continuation(pb.batch, prefix, ids);
      } else {
        batch_add_sequence(pb.batch, ids);
      }
    }
  }
  return pb;
}

std::vector<float> policy_batch_gather(const PolicyBatch& pb, const std::vector<float>& engine_logp) {
  ASCENT_CHECK(static_cast<int64_t>(engine_logp.size()) == pb.num_targets, "engine output size");
  std::vector<float> out(pb.rows.size());
  for (size_t i = 0; i < pb.rows.size(); ++i) out[i] = engine_logp[pb.rows[i]];
  return out;
}

std::vector<float> policy_batch_scatter(const PolicyBatch& pb, const std::vector<float>& dlogp) {
  ASCENT_CHECK(dlogp.size() == pb.rows.size(), "one dlogp per completion token");
  std::vector<float> out(static_cast<size_t>(pb.num_targets), 0.0f);
  for (size_t i = 0; i < pb.rows.size(); ++i) out[pb.rows[i]] = dlogp[i];
  return out;
}

std::vector<std::vector<size_t>> rank_micro_batches(const RolloutBatch& rb, int rank, int ranks,
                                                    int64_t micro_batch_tokens) {
  std::vector<std::vector<size_t>> micro;
  int64_t in_micro = 0;
  for (size_t g = static_cast<size_t>(rank); g < rb.groups.size(); g += static_cast<size_t>(ranks)) {
    const int64_t t = packed_tokens(rb.groups[g]);
    if (micro.empty() || in_micro + t > micro_batch_tokens) micro.emplace_back(), in_micro = 0;
    micro.back().push_back(g);
    in_micro += t;
  }
  return micro;
}

RolloutBatch rollout_batch_subset(const RolloutBatch& rb, const std::vector<size_t>& groups) {
  RolloutBatch sub;
  sub.groups.reserve(groups.size());
  for (size_t g : groups) sub.groups.push_back(rb.groups[g]);
  return sub;
}

}  // namespace ascent
