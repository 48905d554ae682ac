#include "model/cpu/swiglu.h"

#include <cmath>

#include <algorithm>

#include "core/threads.h"
#include "core/vec_math.h"

namespace ascent::cpu {

namespace {
constexpr int64_t kBlock = 1024;  // elements per vectorised exp call

// Calls body(i0, len, e) for blocks of the n gate values, in parallel, with e[j] = exp(-gate[i0 + j]).
template <typename Body>
void for_each_gate_block(const float* gate, int64_t n, Body&& body) {
  const int64_t nb = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t b = 0; b < nb; ++b) {
    float e[kBlock];
    const int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
    for (int64_t j = 0; j < len; ++j) e[j] = -gate[i0 + j];
    vec_exp(e, e, len);
    body(i0, len, e);
  }
}
}  // namespace

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F) {
  for_each_gate_block(gate, N * F, [&](int64_t i0, int64_t len, const float* e) {
    for (int64_t j = 0; j < len; ++j) out[i0 + j] = gate[i0 + j] / (1.0f + e[j]) * up[i0 + j];
  });
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t N, int64_t F) {
  for_each_gate_block(gate, N * F, [&](int64_t i0, int64_t len, const float* e) {
    for (int64_t j = 0; j < len; ++j) {
      const int64_t i = i0 + j;
      const float g = gate[i], s = 1.0f / (1.0f + e[j]);
      dup[i] = dout[i] * g * s;
      dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));  // d silu/dg = s (1 + g (1 - s))
    }
  });
}

}  // namespace ascent::cpu
