// The FP32 LM head: per chunk of rows, logits z = hidden W^T / T through cuBLASLt into scratch, then one block
// per row for the log-sum-exp, the target's log-prob and the entropy; the backward turns the chunk's logits
// into dlogp * (onehot - p) / T in place and multiplies back (two GEMMs that accumulate into dhidden, dweight).
#include <algorithm>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/gemm.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
constexpr int kThreads = 512;
constexpr int kLogitsSlot = 2;

int64_t chunk_rows(const LmHeadOptions& opt, int64_t N, int64_t V) {
  return std::clamp<int64_t>(opt.chunk_bytes / (4 * V), 1, std::max<int64_t>(N, 1));
}

// Row max and log-sum-exp of z[0..V), for every thread of the block.
__device__ float row_lse(const float* z, int64_t V, float* red) {
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) m = fmaxf(m, z[j]);
  m = block_max(m, red);
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) s += expf(z[j] - m);
  return m + logf(block_sum(s, red));
}

__global__ void logprob_rows(float* logp, float* entropy, const float* z, const int32_t* targets, int64_t V) {
  __shared__ float red[kThreads / kWarp];
  const int64_t i = blockIdx.x;
  const float* zi = z + i * V;
  const float lse = row_lse(zi, V, red);
  if (entropy != nullptr) {
    float ez = 0.0f;
    for (int64_t j = threadIdx.x; j < V; j += blockDim.x) ez += expf(zi[j] - lse) * zi[j];
    ez = block_sum(ez, red);
    if (threadIdx.x == 0) entropy[i] = lse - ez;
  }
  if (threadIdx.x == 0) logp[i] = zi[targets[i]] - lse;
}

// z_j <- g (onehot_j - p_j), g = dlogp / T.
__global__ void logprob_grad_rows(float* z, const float* dlogp, const int32_t* targets, int64_t V,
                                  float inv_t) {
  __shared__ float red[kThreads / kWarp];
  const int64_t i = blockIdx.x;
  float* zi = z + i * V;
  const float lse = row_lse(zi, V, red);
  const float g = dlogp[i] * inv_t;
  const int64_t t = targets[i];
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) zi[j] = (j == t ? g : 0.0f) - g * expf(zi[j] - lse);
}

// Calls body(r0, rows, z) for each chunk of rows, with z [rows, V] = hidden[r0..] W^T / temperature.
template <typename Body>
void for_each_chunk(const float* hidden, const float* weight, int64_t N, int64_t C, int64_t V,
                    const LmHeadOptions& opt, Body&& body) {
  const int64_t R = chunk_rows(opt, N, V);
  auto* z = static_cast<float*>(scratch(kLogitsSlot, static_cast<size_t>(std::min(R, N) * V) * 4));
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t rows = std::min(R, N - r0);
    gemm_rm(false, true, rows, V, C, 1.0f / opt.temperature, hidden + r0 * C, C, weight, C, 0.0f, z, V);
    body(r0, rows, z);
  }
}
}  // namespace

void lm_head_logprob_forward(float* logp, float* entropy, const float* hidden, const float* weight,
                             const int32_t* targets, int64_t N, int64_t C, int64_t V,
                             const LmHeadOptions& opt) {
  for_each_chunk(hidden, weight, N, C, V, opt, [&](int64_t r0, int64_t rows, const float* z) {
    logprob_rows<<<static_cast<unsigned>(rows), kThreads, 0, ctx().stream>>>(
        logp + r0, entropy ? entropy + r0 : nullptr, z, targets + r0, V);
    ASCENT_CUDA_CHECK_LAUNCH();
  });
}

void lm_head_logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                              const float* weight, const int32_t* targets, int64_t N, int64_t C, int64_t V,
                              const LmHeadOptions& opt) {
  for_each_chunk(hidden, weight, N, C, V, opt, [&](int64_t r0, int64_t rows, float* z) {
    logprob_grad_rows<<<static_cast<unsigned>(rows), kThreads, 0, ctx().stream>>>(z, dlogp + r0, targets + r0,
                                                                                  V, 1.0f / opt.temperature);
    ASCENT_CUDA_CHECK_LAUNCH();
    gemm_rm(false, false, rows, C, V, 1.0f, z, V, weight, C, 1.0f, dhidden + r0 * C, C);
    gemm_rm(true, false, V, C, rows, 1.0f, z, V, hidden + r0 * C, C, 1.0f, dweight, C);
  });
}

void lm_head_logits(float* out, const float* hidden, const float* weight, int64_t N, int64_t C, int64_t V) {
  gemm_rm(false, true, N, V, C, 1.0f, hidden, C, weight, C, 0.0f, out, V);
}

}  // namespace ascent::cuda
