// Token embedding lookup. Shape key: N tokens, C channels, V vocab.
#pragma once

#include <cstdint>

namespace ascent::cpu {

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C);
// dtable[V,C] += scatter of dout by token; deterministic (channels in parallel, tokens in order).
void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C);

}  // namespace ascent::cpu
