#include "model/cpu/swiglu.h"

#include <cmath>

#include "core/threads.h"

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F) {
  const int64_t n = N * F;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) {
    float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N,
                     int64_t F) {
  const int64_t n = N * F;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) {
    float g = gate[i];
    float s = 1.0f / (1.0f + std::exp(-g));
    dup[i] = dout[i] * g * s;
    dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));  // d silu/dg = s (1 + g (1 - s))
  }
}
