#include "model/cpu/lm_head.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/threads.h"
#include "core/vec_math.h"

namespace ascent::cpu {

int64_t lm_head_chunk_rows(const LmHeadOptions& opt, int64_t N, int64_t V) {
  int64_t rows = opt.chunk_bytes / (4 * V);
  return std::clamp<int64_t>(rows, 1, std::max<int64_t>(N, 1));
}

namespace {
// z[rows, V] = hidden[rows, C] W^T / temperature
void chunk_logits(float* z, const float* hidden, const float* weight, int64_t rows, int64_t C, int64_t V,
                  float temperature) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, V, C, 1.0f / temperature, hidden, C, weight, C,
              0.0f, z, V);
}

// log(sum_j exp(z_j)); `tmp` is scratch of V floats.
float row_logsumexp(const float* z, int64_t V, float* tmp) {
  const ExpSum es = vec_exp_sum_stable(tmp, z, V);
  return es.max + std::log(es.sum);
}

std::vector<float>& row_scratch(int64_t V) {
  thread_local std::vector<float> t;
  t.resize(static_cast<size_t>(V));
  return t;
}
}  // namespace

void lm_head_logprob_forward(float* logp, float* entropy, const float* hidden, const float* weight,
                             const int32_t* targets, int64_t N, int64_t C, int64_t V,
                             const LmHeadOptions& opt) {
  const int64_t R = lm_head_chunk_rows(opt, N, V);
  std::vector<float> z(static_cast<size_t>(std::min(R, N) * V));
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t rows = std::min(R, N - r0);
    chunk_logits(z.data(), hidden + r0 * C, weight, rows, C, V, opt.temperature);
#pragma omp parallel for schedule(static) if (rows * V >= kParallelMinWork)
    for (int64_t i = 0; i < rows; ++i) {
      const float* zi = z.data() + i * V;
      float* tmp = row_scratch(V).data();
      const float lse = row_logsumexp(zi, V, tmp);
      logp[r0 + i] = zi[targets[r0 + i]] - lse;
      if (entropy) {
        vec_exp(tmp, zi, V, -lse);
        float ez = 0.0f;
#pragma omp simd reduction(+ : ez)
        for (int64_t j = 0; j < V; ++j) ez += tmp[j] * zi[j];
        entropy[r0 + i] = lse - ez;
      }
    }
  }
}

void lm_head_logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                              const float* weight, const int32_t* targets, int64_t N, int64_t C, int64_t V,
                              const LmHeadOptions& opt) {
  const int64_t R = lm_head_chunk_rows(opt, N, V);
  std::vector<float> z(static_cast<size_t>(std::min(R, N) * V));
  const float inv_t = 1.0f / opt.temperature;
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t rows = std::min(R, N - r0);
    chunk_logits(z.data(), hidden + r0 * C, weight, rows, C, V, opt.temperature);
    // dlogp/dlogit_j = (onehot_j - p_j) / temperature, written over the logits.
#pragma omp parallel for schedule(static) if (rows * V >= kParallelMinWork)
    for (int64_t i = 0; i < rows; ++i) {
      float* zi = z.data() + i * V;
      const float lse = row_logsumexp(zi, V, row_scratch(V).data());
      const float g = dlogp[r0 + i] * inv_t;
      vec_exp(zi, zi, V, -lse);
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) zi[j] *= -g;
      zi[targets[r0 + i]] += g;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, C, V, 1.0f, z.data(), V, weight, C, 1.0f,
                dhidden + r0 * C, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, C, rows, 1.0f, z.data(), V, hidden + r0 * C, C,
                1.0f, dweight, C);
  }
}

void lm_head_logits(float* out, const float* hidden, const float* weight, int64_t N, int64_t C, int64_t V) {
  chunk_logits(out, hidden, weight, N, C, V, 1.0f);
}

}  // namespace ascent::cpu
