#include "model/cpu/rmsnorm.h"

#include <cmath>

#include "core/threads.h"

namespace ascent::cpu {

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* x = inp + n * C;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int64_t c = 0; c < C; ++c) ss += x[c] * x[c];
    float r = 1.0f / std::sqrt(ss / static_cast<float>(C) + eps);
    if (rstd) rstd[n] = r;
    float* y = out + n * C;
    for (int64_t c = 0; c < C; ++c) y[c] = weight[c] * (x[c] * r);
  }
}

void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C) {
  // With xhat = x * r and g = w * dy: dx = r * (g - xhat * mean(g * xhat)); dw = sum_n dy * xhat.
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* x = inp + n * C;
    const float* dy = dout + n * C;
    const float r = rstd[n];
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int64_t c = 0; c < C; ++c) dot += weight[c] * dy[c] * x[c] * r;
    dot /= static_cast<float>(C);
    float* dx = dinp + n * C;
    for (int64_t c = 0; c < C; ++c) dx[c] += r * (weight[c] * dy[c] - x[c] * r * dot);
  }
  // Parallel over channels, summing rows in order: deterministic for any thread count.
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (int64_t c = 0; c < C; ++c) {
    float s = 0.0f;
    for (int64_t n = 0; n < N; ++n) s += dout[n * C + c] * inp[n * C + c] * rstd[n];
    dweight[c] += s;
  }
}

}  // namespace ascent::cpu
