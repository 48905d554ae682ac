// RMSNorm as in Llama/Qwen: out = weight * x / sqrt(mean(x^2) + eps), statistics in float32.
// Shape key: N rows, C channels. Qwen3's per-head q/k norm is the same op with N = tokens*heads, C =
// head_dim.
#pragma once

#include <cstdint>

namespace ascent::cpu {

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps);
// dinp[N,C] += ...; dweight[C] += ...; rstd is what the forward wrote. out and inp may not alias dinp.
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C);

}  // namespace ascent::cpu
