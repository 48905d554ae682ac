// Causal grouped-query attention over packed spans, in float32.
// Shape key: H query heads, KV key/value heads (head h reads kv head h / (H/KV)), D head_dim,
// q/out rows have H*D floats, k/v rows KV*D floats.
// AttnSpan (model/ops.h): a run of n_q query rows (batch rows q_start..q_start+n_q-1) of one sequence whose keys are k/v
// rows 0..n_k-1 (a local slice of this batch, or a KV-cache slot); query i sees keys 0..n_k-n_q+i. The
// forward saves the log-sum-exp of each (row, head); the backward recomputes the scores from it (as flash
// attention does), so no [T x T] probabilities are stored.
#pragma once

#include <cstdint>
#include <vector>

#include "model/ops.h"

namespace ascent::cpu {

// out[N, H*D]; lse[N, H] may be null (inference).
void attention_forward(float* out, float* lse, const float* q, const std::vector<AttnSpan>& spans, int64_t H,
                       int64_t KV, int64_t D);
// dq[N, H*D] is overwritten for rows of the spans; span.dk/dv are accumulated.
void attention_backward(float* dq, const float* dout, const float* q, const float* out, const float* lse,
                        const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D);

}  // namespace ascent::cpu
