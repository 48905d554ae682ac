#include "model/cpu/rope.h"

#include <cmath>

#include "core/threads.h"

namespace ascent::cpu {

namespace {
void rotate(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D, float sign) {
  const int64_t half = D / 2;
#pragma omp parallel for schedule(static) if (N * NH * D >= kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* c = cos + n * half;
    const float* s = sin + n * half;
    for (int64_t h = 0; h < NH; ++h) {
      float* v = x + (n * NH + h) * D;
      for (int64_t i = 0; i < half; ++i) {
        float x1 = v[i], x2 = v[i + half], si = sign * s[i];
        v[i] = x1 * c[i] - x2 * si;
        v[i + half] = x2 * c[i] + x1 * si;
      }
    }
  }
}
}  // namespace

void rope_forward(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D) {
  rotate(x, cos, sin, N, NH, D, 1.0f);
}

// The rotation is orthogonal, so its transpose (rotation by -angle) maps dy to dx.
void rope_backward(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D) {
  rotate(dx, cos, sin, N, NH, D, -1.0f);
}

}  // namespace ascent::cpu
