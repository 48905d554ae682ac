// Rotary position embedding, the "rotate_half" convention of transformers: for d < D/2,
// y[d] = x[d] cos - x[d + D/2] sin, y[d + D/2] = x[d + D/2] cos + x[d] sin, angle = pos * inv_freq[d].
// Shape key: N tokens, NH heads, D head_dim. cos/sin are per-token tables [N, D/2].
#pragma once

#include <cstdint>
#include <vector>

namespace ascent {

// Fills cos/sin [N, D/2] for the positions, in float32 like transformers.
void rope_tables(float* cos, float* sin, const int32_t* positions, const std::vector<float>& inv_freq,
                 int64_t N);
void rope_forward(float* x, const float* cos, const float* sin, int64_t N, int64_t NH,
                  int64_t D);  // in place
void rope_backward(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH,
                   int64_t D);  // in place

}  // namespace ascent
