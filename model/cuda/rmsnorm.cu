// RMSNorm forward/backward (one warp per row) and the fixed-order column sums of the weight and bias gradients.
#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
constexpr int kRowsPerBlock = 8;  // warps per block, one row each
constexpr int64_t kSumRows = 64;  // rows per partial column sum

__global__ void rmsnorm_fwd_kernel(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                                   int64_t C, float eps) {
  const int64_t n = blockIdx.x * int64_t{kRowsPerBlock} + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (n >= N) return;
  const float* x = inp + n * C;
  float ss = 0.0f;
  for (int64_t c = lane; c < C; c += kWarp) ss += x[c] * x[c];
  ss = warp_sum(ss);
  const float r = 1.0f / sqrtf(ss / static_cast<float>(C) + eps);
  if (rstd != nullptr && lane == 0) rstd[n] = r;
  float* y = out + n * C;
  for (int64_t c = lane; c < C; c += kWarp) y[c] = weight[c] * (x[c] * r);
}

// dx = r * (w dy - xhat * mean(w dy xhat)), added to dinp.
__global__ void rmsnorm_bwd_kernel(float* dinp, const float* dout, const float* inp, const float* weight,
                                   const float* rstd, int64_t N, int64_t C) {
  const int64_t n = blockIdx.x * int64_t{kRowsPerBlock} + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (n >= N) return;
  const float* x = inp + n * C;
  const float* dy = dout + n * C;
  const float r = rstd[n];
  float dot = 0.0f;
  for (int64_t c = lane; c < C; c += kWarp) dot += weight[c] * dy[c] * x[c] * r;
  dot = warp_sum(dot) / static_cast<float>(C);
  float* dx = dinp + n * C;
  for (int64_t c = lane; c < C; c += kWarp) dx[c] += r * (weight[c] * dy[c] - x[c] * r * dot);
}

// partial[b, c] = sum over rows n of block b (in order) of x[n, c] * (y ? y[n, c] * s[n] : 1).
__global__ void partial_column_sums(float* partial, const float* x, const float* y, const float* s, int64_t N,
                                    int64_t C) {
  // Row blocks on x (up to 2^31 - 1 of them), channel blocks on y (C / 128 stays far below 65535).
  const int64_t c = blockIdx.y * int64_t{blockDim.x} + threadIdx.x;
  if (c >= C) return;
  const int64_t n0 = blockIdx.x * kSumRows, n1 = imin(N, n0 + kSumRows);
  float acc = 0.0f;
  for (int64_t n = n0; n < n1; ++n) acc += y ? x[n * C + c] * y[n * C + c] * s[n] : x[n * C + c];
  partial[blockIdx.x * C + c] = acc;
}

__global__ void add_partials(float* out, const float* partial, int64_t blocks, int64_t C) {
  const int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (c >= C) return;
  float acc = 0.0f;
  for (int64_t b = 0; b < blocks; ++b) acc += partial[b * C + c];
  out[c] += acc;
}

void column_sums(float* out, const float* x, const float* y, const float* s, int64_t N, int64_t C) {
  if (N * C == 0) return;
  const int64_t blocks = (N + kSumRows - 1) / kSumRows;
  auto* partial = static_cast<float*>(scratch(3, static_cast<size_t>(blocks * C) * 4));
  const dim3 grid(static_cast<unsigned>(blocks), blocks_for(C, 128));
  partial_column_sums<<<grid, 128, 0, ctx().stream>>>(partial, x, y, s, N, C);
  ASCENT_CUDA_CHECK_LAUNCH();
  add_partials<<<blocks_for(C, 128), 128, 0, ctx().stream>>>(out, partial, blocks, C);
  ASCENT_CUDA_CHECK_LAUNCH();
}
}  // namespace

void column_sums_add(float* out, const float* x, int64_t N, int64_t C) {
  column_sums(out, x, nullptr, nullptr, N, C);
}

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps) {
  if (N == 0) return;
  rmsnorm_fwd_kernel<<<blocks_for(N, kRowsPerBlock), kRowsPerBlock * kWarp, 0, ctx().stream>>>(
      out, rstd, inp, weight, N, C, eps);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C) {
  if (N == 0) return;
  rmsnorm_bwd_kernel<<<blocks_for(N, kRowsPerBlock), kRowsPerBlock * kWarp, 0, ctx().stream>>>(
      dinp, dout, inp, weight, rstd, N, C);
  ASCENT_CUDA_CHECK_LAUNCH();
  column_sums(dweight, dout, inp, rstd, N, C);
}

}  // namespace ascent::cuda
