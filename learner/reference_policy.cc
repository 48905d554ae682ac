#include "learner/reference_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "learner/policy_batch.h"

namespace ascent {

absl::StatusOr<Model> reference_load(const std::string& dir, const Model& policy, Backend& b) {
  absl::StatusOr<Model> ref = model_load(dir);
  if (!ref.ok()) {
    return absl::Status(ref.status().code(),
                        absl::StrCat("the KL's reference policy: ", ref.status().message()));
  }
  if (ref->cfg.vocab_size != policy.cfg.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("algorithm.kl.reference: ", dir, " has a vocabulary of ",
                                                   ref->cfg.vocab_size, " tokens, the policy ",
                                                   policy.cfg.vocab_size, ": they must share the tokenizer"));
  }
  model_to_backend(*ref, b);
  return ref;
}

absl::StatusOr<std::vector<float>> reference_logprobs(Model& ref, const RolloutBatch& rb,
                                                      const LmHeadOptions& head) {
  const PolicyBatch pb = policy_batch_build(rb);
  absl::StatusOr<std::vector<float>> lp = model_forward_logprobs(ref, pb.batch, nullptr, head);
  if (!lp.ok()) return lp.status();
  return policy_batch_gather(pb, *lp);
}

absl::StatusOr<KlPenalty> kl_reward_penalty(Model& ref, const RolloutBatch& rb, const KlConfig& kl,
                                            const LmHeadOptions& head, int64_t micro_batch_tokens,
                                            Collective& coll) {
  // Where each group's completions start in the flat per-completion vector.
  std::vector<size_t> first(rb.groups.size() + 1, 0);
  for (size_t g = 0; g < rb.groups.size(); ++g) first[g + 1] = first[g] + rb.groups[g].completions.size();
  KlPenalty out;
  out.per_completion.assign(first.back(), 0.0);
  for (const std::vector<size_t>& groups :
       rank_micro_batches(rb, coll.rank(), coll.size(), micro_batch_tokens)) {
    absl::StatusOr<std::vector<float>> lp_ref =
        reference_logprobs(ref, rollout_batch_subset(rb, groups), head);
    if (!lp_ref.ok()) return lp_ref.status();
    size_t t = 0;  // into *lp_ref
    for (size_t g : groups) {
      const auto& comps = rb.groups[g].completions;
      for (size_t i = 0; i < comps.size(); ++i) {
        double sum = 0;
        for (size_t j = 0; j < comps[i].tokens.size(); ++j, ++t) {
          if (!comps[i].loss_mask.empty() && comps[i].loss_mask[j] == 0) continue;
          const double k = kl_value(kl.estimator, comps[i].logp_gen[j], (*lp_ref)[t]);
          sum += k;
          out.kl_max = std::max(out.kl_max, k);
          out.tokens += 1;
        }
        out.kl_sum += sum;
        out.per_completion[first[g] + i] = kl.beta * sum;
      }
    }
  }
  coll.allreduce_sum(out.per_completion.data(), static_cast<int64_t>(out.per_completion.size()));
  double sums[2] = {out.kl_sum, out.tokens};
  coll.allreduce_sum(sums, 2);
  out.kl_sum = sums[0], out.tokens = sums[1];
  coll.allreduce_max(&out.kl_max, 1);
  return out;
}

}  // namespace ascent
