// Per-token log-probs of many sequences, packed into batches of at most max_batch_tokens tokens (a sequence
// longer than that gets a batch of its own). Forward only: no activations are kept beyond one layer, and the
// LM head runs in float32 chunks, so memory is one chunk of logits plus one layer's activations.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model.h"
#include "model/ops.h"

namespace ascent {

struct ScoredSequence {
  std::vector<float> logprobs;  // one per token after the first
  std::vector<float> entropy;   // same length, when asked for
};

absl::StatusOr<std::vector<ScoredSequence>> score_sequences(Model& m,
                                                            const std::vector<std::vector<int32_t>>& seqs,
                                                            int64_t max_batch_tokens,
                                                            const LmHeadOptions& opt, bool want_entropy);

}  // namespace ascent
