#include "learner/policy_batch.h"

#include "core/status.h"

namespace ascent {

PolicyBatch policy_batch_build(const RolloutBatch& rb) {
  PolicyBatch pb;
  for (const auto& g : rb.groups) {
    ASCENT_CHECK(!g.prompt_tokens.empty(), "a prompt needs at least one token");
    const int64_t P = static_cast<int64_t>(g.prompt_tokens.size());
    for (const auto& c : g.completions) {
      std::vector<int32_t> ids = g.prompt_tokens;
      ids.insert(ids.end(), c.tokens.begin(), c.tokens.end());
      for (int64_t j = 0; j < static_cast<int64_t>(c.tokens.size()); ++j)
        pb.rows.push_back(pb.num_targets + P + j - 1);
      pb.num_targets += static_cast<int64_t>(ids.size()) - 1;
      batch_add_sequence(pb.batch, ids);
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
    int64_t t = 0;
    for (const Rollout& c : rb.groups[g].completions)
      t += static_cast<int64_t>(rb.groups[g].prompt_tokens.size() + c.tokens.size());
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
