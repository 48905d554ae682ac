#include "model/cpu/linear.h"

#include <cblas.h>

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t N, int64_t I,
                    int64_t O) {
  if (bias != nullptr) {
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t o = 0; o < O; ++o) out[n * O + o] = bias[o];
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, O, I, 1.0f, inp, I, weight, I, bias ? 1.0f : 0.0f, out,
              O);
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O) {
  if (dinp != nullptr) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, I, O, 1.0f, dout, O, weight, I, 1.0f, dinp, I);
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, N, 1.0f, dout, O, inp, I, 1.0f, dweight, I);
  if (dbias != nullptr) {
    // Parallel over output features, each summing its column over rows in order: deterministic.
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < O; ++o) {
      float s = 0.0f;
      for (int64_t n = 0; n < N; ++n) s += dout[n * O + o];
      dbias[o] += s;
    }
  }
}
