#include "model/cpu/linear.h"

#include "core/threads.h"

#include <cblas.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace ascent::cpu {

namespace {
// Decode-sized batches (a few rows): GEMM libraries repack the whole weight matrix on every call, which for
// N <= 16 costs as much as the arithmetic. This path streams each weight row once and reuses it from L1
// across all rows: out[n, o] = sum_i inp[n, i] * W[o, i], register-blocked NO weight rows x NM input rows, 8
// lanes. The summation order is fixed (per lane over i, then the lanes, then the tail), so results are
// deterministic.
constexpr int64_t kSmallRows = 16;

#ifdef __AVX2__
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

template <int NO, int NM>
void small_block(float* out, const float* inp, const float* weight, const float* bias, int64_t n0, int64_t o0,
                 int64_t I, int64_t O) {
  __m256 acc[NO][NM];
  for (int r = 0; r < NO; ++r)
    for (int m = 0; m < NM; ++m) acc[r][m] = _mm256_setzero_ps();
  const int64_t I8 = I & ~int64_t{7};
  for (int64_t i = 0; i < I8; i += 8) {
    __m256 w[NO];
    for (int r = 0; r < NO; ++r) w[r] = _mm256_loadu_ps(weight + (o0 + r) * I + i);
    for (int m = 0; m < NM; ++m) {
      const __m256 x = _mm256_loadu_ps(inp + (n0 + m) * I + i);
      for (int r = 0; r < NO; ++r) acc[r][m] = _mm256_fmadd_ps(w[r], x, acc[r][m]);
    }
  }
  for (int r = 0; r < NO; ++r) {
    for (int m = 0; m < NM; ++m) {
      float s = hsum(acc[r][m]);
      for (int64_t i = I8; i < I; ++i) s += weight[(o0 + r) * I + i] * inp[(n0 + m) * I + i];
      out[(n0 + m) * O + o0 + r] = s + (bias ? bias[o0 + r] : 0.0f);
    }
  }
}

template <int NO>
void small_rows(float* out, const float* inp, const float* weight, const float* bias, int64_t N, int64_t o0,
                int64_t I, int64_t O) {
  int64_t n0 = 0;
  for (; n0 + 4 <= N; n0 += 4) small_block<NO, 4>(out, inp, weight, bias, n0, o0, I, O);
  switch (N - n0) {
    case 3:
      small_block<NO, 3>(out, inp, weight, bias, n0, o0, I, O);
      break;
    case 2:
      small_block<NO, 2>(out, inp, weight, bias, n0, o0, I, O);
      break;
    case 1:
      small_block<NO, 1>(out, inp, weight, bias, n0, o0, I, O);
      break;
    default:
      break;
  }
}

void linear_forward_small(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                          int64_t I, int64_t O) {
  const int64_t triples = O / 3;
#pragma omp parallel for schedule(static) if (N * O * I >= kParallelMinWork)
  for (int64_t p = 0; p < triples; ++p) small_rows<3>(out, inp, weight, bias, N, 3 * p, I, O);
  for (int64_t o = 3 * triples; o < O; ++o) small_rows<1>(out, inp, weight, bias, N, o, I, O);
}
#endif
}  // namespace

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                    int64_t I, int64_t O) {
#ifdef __AVX2__
  if (N <= kSmallRows) {
    linear_forward_small(out, inp, weight, bias, N, I, O);
    return;
  }
#endif
  if (bias != nullptr) {
#pragma omp parallel for schedule(static) if (N * O >= kParallelMinWork)
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t o = 0; o < O; ++o) out[n * O + o] = bias[o];
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, O, I, 1.0f, inp, I, weight, I, bias ? 1.0f : 0.0f,
              out, O);
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O, bool overwrite_dinp) {
  if (dinp != nullptr) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, I, O, 1.0f, dout, O, weight, I,
                overwrite_dinp ? 0.0f : 1.0f, dinp, I);
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, N, 1.0f, dout, O, inp, I, 1.0f, dweight, I);
  if (dbias != nullptr) {
    // Parallel over output features, each summing its column over rows in order: deterministic.
#pragma omp parallel for schedule(static) if (N * O >= kParallelMinWork)
    for (int64_t o = 0; o < O; ++o) {
      float s = 0.0f;
      for (int64_t n = 0; n < N; ++n) s += dout[n * O + o];
      dbias[o] += s;
    }
  }
}

}  // namespace ascent::cpu
