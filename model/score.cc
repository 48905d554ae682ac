#include "model/score.h"

#include "core/status.h"
#include "model/transformer.h"

namespace ascent {

absl::StatusOr<std::vector<ScoredSequence>> score_sequences(Model& m,
                                                            const std::vector<std::vector<int32_t>>& seqs,
                                                            int64_t max_batch_tokens,
                                                            const LmHeadOptions& opt, bool want_entropy) {
  std::vector<ScoredSequence> out(seqs.size());
  size_t i = 0;
  while (i < seqs.size()) {
    PackedBatch b;
    std::vector<size_t> members;
    while (i < seqs.size() &&
           (members.empty() || static_cast<int64_t>(b.tokens.size() + seqs[i].size()) <= max_batch_tokens)) {
      if (seqs[i].empty()) return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " is empty"));
      batch_add_sequence(b, seqs[i]);
      members.push_back(i++);
    }
    std::vector<float> ent;
    ASCENT_ASSIGN_OR_RETURN(std::vector<float> lp,
                            model_forward_logprobs(m, b, nullptr, opt, want_entropy ? &ent : nullptr));
    size_t off = 0;
    for (size_t k = 0; k < members.size(); ++k) {
      const size_t n = b.segments[k].len - 1;
      out[members[k]].logprobs.assign(lp.begin() + off, lp.begin() + off + n);
      if (want_entropy) out[members[k]].entropy.assign(ent.begin() + off, ent.begin() + off + n);
      off += n;
    }
  }
  return out;
}

}  // namespace ascent
