// Rotary position embedding, the "rotate_half" convention of transformers: for d < D/2,
// y[d] = x[d] cos - x[d + D/2] sin, y[d + D/2] = x[d + D/2] cos + x[d] sin, angle = pos * inv_freq[d].
// Shape key: N tokens, NH heads, D head_dim. cos/sin are per-token tables [N, D/2] (model/rope_tables.h).
#pragma once

#include <cstdint>
#include <vector>

namespace ascent::cpu {

void rope_forward(float* x, const float* cos, const float* sin, int64_t N, int64_t NH,
                  int64_t D);  // in place
void rope_backward(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH,
                   int64_t D);  // in place

}  // namespace ascent::cpu
