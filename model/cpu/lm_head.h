// LM head + log-softmax in float32, in chunks of rows, so [N x V] logits never exist whole.
// Shape key: N rows (tokens with a target), C channels, V vocab. weight [V, C] (HF layout).
// logp[n] = z[n, target[n]] - logsumexp(z[n, :]) with z = (hidden W^T) / temperature;
// entropy[n] = logsumexp(z) - sum_j p_j z_j (optional). The backward recomputes each chunk's logits.
// LmHeadOptions (temperature, chunk size) is in model/ops.h.
#pragma once

#include <cstdint>

#include "model/ops.h"

namespace ascent::cpu {

int64_t lm_head_chunk_rows(const LmHeadOptions& opt, int64_t N, int64_t V);

void lm_head_logprob_forward(float* logp, float* entropy, const float* hidden, const float* weight,
                             const int32_t* targets, int64_t N, int64_t C, int64_t V,
                             const LmHeadOptions& opt);
// Given dL/dlogp [N]: dhidden[N,C] += ..., dweight[V,C] += ... (the entropy is not differentiated).
void lm_head_logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                              const float* weight, const int32_t* targets, int64_t N, int64_t C, int64_t V,
                              const LmHeadOptions& opt);
// Full logits of N rows (for sampling), float32: out[N,V] = hidden W^T (no temperature).
void lm_head_logits(float* out, const float* hidden, const float* weight, int64_t N, int64_t C, int64_t V);

}  // namespace ascent::cpu
