// Vectorised float math for the CPU kernels. exp uses glibc's libmvec (_ZGVdN8v_expf, AVX2, documented error
// bound of a few ulp), which GCC would only call by itself under -ffast-math; remainders use expf.
#pragma once

#include <cmath>
#include <cstdint>
#ifdef __AVX2__
#include <immintrin.h>

namespace ascent {
extern "C" __m256 _ZGVdN8v_expf(__m256);
#endif

// y[i] = exp(x[i] + shift); x and y may alias.
inline void vec_exp(float* y, const float* x, int64_t n, float shift = 0.0f) {
  int64_t i = 0;
#ifdef __AVX2__
  const __m256 s = _mm256_set1_ps(shift);
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_expf(_mm256_add_ps(_mm256_loadu_ps(x + i), s)));
#endif
  for (; i < n; ++i) y[i] = std::exp(x[i] + shift);
}

struct ExpSum {
  float max, sum;  // log-sum-exp of x = max + log(sum)
};

// The numerically stable exponentials of a row: y = exp(x - max(x)); returns max(x) and sum(y).
// x and y may alias.
inline ExpSum vec_exp_sum_stable(float* y, const float* x, int64_t n) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; ++j) mx = mx > x[j] ? mx : x[j];
  vec_exp(y, x, n, -mx);
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) s += y[j];
  return {mx, s};
}

}  // namespace ascent
