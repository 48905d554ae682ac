// SwiGLU gate: out = silu(gate) * up, silu(g) = g * sigmoid(g). Shape key: N rows, F intermediate.
#pragma once

#include <cstdint>

namespace ascent::cpu {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F);
// dgate, dup [N,F] are overwritten.
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t N, int64_t F);

}  // namespace ascent::cpu
