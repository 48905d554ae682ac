// Shared by the learner tests: the current policy's log-prob of every completion token of a batch, flattened
// group by group, completion by completion (a forward pass over prompt + completion); scored groups.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collective/collective.h"
#include "core/rng.h"

#include "learner/policy_batch.h"
#include "model/transformer.h"

namespace ascent {

inline std::vector<float> completion_logprobs(Model& m, const RolloutBatch& rb) {
  PolicyBatch pb = policy_batch_build(rb);
  return policy_batch_gather(pb, *model_forward_logprobs(m, pb.batch, nullptr, LmHeadOptions{}));
}

// `groups` groups of 4 completions over a 40-token vocabulary: prompts of 3 + g % 4 random tokens,
// completions of min_len to min_len + 3, reward (i + g) % 2, version 0, logp_gen from `sampler`.
inline RolloutBatch random_rollout_batch(Model& sampler, uint64_t seed, int groups, int min_len) {
  Rng rng(seed);
  RolloutBatch rb;
  for (int g = 0; g < groups; ++g) {
    PromptGroup pg;
    pg.prompt_id = absl::StrCat("p", g);  // ("p" + std::to_string(g) trips GCC 12's -Wrestrict, PR 105329)
    for (int i = 0; i < 3 + g % 4; ++i) pg.prompt_tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
    for (int i = 0; i < 4; ++i) {
      Rollout c;
      const int len = min_len + static_cast<int>(rng.next_u64() % 4);
      for (int t = 0; t < len; ++t) {
        c.tokens.push_back(static_cast<int32_t>(rng.next_u64() % 40));
        c.loss_mask.push_back(1);
        c.version.push_back(0);
      }
      c.reward = (i + g) % 2;
      pg.completions.push_back(c);
    }
    rb.groups.push_back(pg);
  }
  const std::vector<float> lp = completion_logprobs(sampler, rb);
  size_t k = 0;
  for (auto& g : rb.groups)
    for (auto& c : g.completions)
      for (size_t t = 0; t < c.tokens.size(); ++t) c.logp_gen.push_back(lp[k++]);
  return rb;
}

// Rank `rank` of `size` in one process: groups are dealt by rank(), and sums and maxima are left as they are
// (a test adds the ranks' shares itself).
class UnsummedRank final : public Collective {
 public:
  UnsummedRank(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(float*, int64_t) override {}
  void allreduce_sum(double*, int64_t) override {}
  void allreduce_max(double*, int64_t) override {}
  void reduce_scatter_sum(float*, int64_t) override {}
  void all_gather(float*, int64_t) override {}
  void gather_shards(const float*, float*, int64_t, int) override {}
  void broadcast(std::string*, int) override {}
  void barrier() override {}

 private:
  int rank_, size_;
};

// A group whose G = 10 completions have `correct` right answers; reward = 1 for a right answer.
inline PromptGroup scored_group(const std::string& id, int correct) {
  PromptGroup g;
  g.prompt_id = id;
  for (int i = 0; i < 10; ++i) {
    Rollout c;
    c.correct = i < correct;
    c.reward = c.correct ? 1.0 : 0.0;
    g.completions.push_back(c);
  }
  return g;
}

}  // namespace ascent
