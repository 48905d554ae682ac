#include "model/cpu/swiglu.h"

#include <cmath>

#include <algorithm>

#include "core/threads.h"
#include "core/vec_math.h"

namespace {
constexpr int64_t kBlock = 1024;  // elements per vectorised exp call

// e[j] = exp(-gate[i0 + j]) for one block
void neg_exp_block(float* e, const float* gate, int64_t i0, int64_t len) {
  for (int64_t j = 0; j < len; ++j) e[j] = -gate[i0 + j];
  vec_exp(e, e, len);
}
}  // namespace

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F) {
  const int64_t n = N * F, nb = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t b = 0; b < nb; ++b) {
    float e[kBlock];
    const int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
    neg_exp_block(e, gate, i0, len);
    for (int64_t j = 0; j < len; ++j) out[i0 + j] = gate[i0 + j] / (1.0f + e[j]) * up[i0 + j];
  }
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t N, int64_t F) {
  const int64_t n = N * F, nb = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t b = 0; b < nb; ++b) {
    float e[kBlock];
    const int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
    neg_exp_block(e, gate, i0, len);
    for (int64_t j = 0; j < len; ++j) {
      const int64_t i = i0 + j;
      const float g = gate[i], s = 1.0f / (1.0f + e[j]);
      dup[i] = dout[i] * g * s;
      dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));  // d silu/dg = s (1 + g (1 - s))
    }
  }
}
