// The optimiser's elementwise ops on the device: AdamW's update (the same float arithmetic as the CPU's
// model/adamw.cc), the gradient's sum of squares (double, fixed blocks: a block's threads in a fixed tree,
// then the blocks in order, so the global norm is repeatable) and the clipping scale.
#include <algorithm>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
constexpr int kThreads = 256;
constexpr int64_t kSumBlock = 1 << 16;  // elements per partial sum
constexpr int kSumSlot = 3;

__global__ void adamw_kernel(float* params, float* m, float* v, const float* grads, int64_t n,
                             AdamWScalars s) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float g = grads[i];
    const float p = params[i] * s.decay;
    const float mi = m[i] + (g - m[i]) * s.one_minus_beta1;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - s.step_size * (mi / (sqrtf(vi) / s.bc2_sqrt + s.eps));
  }
}

__global__ void scale_kernel(float* x, int64_t n, float coef) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    x[i] *= coef;
}

// partial[b] = sum of x[i]^2 over block b's kSumBlock elements, in double.
__global__ void sum_squares_partial(double* partial, const float* x, int64_t n) {
  __shared__ double red[kThreads];
  const int64_t i0 = blockIdx.x * kSumBlock, i1 = imin(n, i0 + kSumBlock);
  double s = 0.0;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) s += static_cast<double>(x[i]) * x[i];
  red[threadIdx.x] = s;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = red[0];
}

__global__ void sum_partials(double* out, const double* partial, int64_t blocks) {
  double s = 0.0;
  for (int64_t b = 0; b < blocks; ++b) s += partial[b];
  *out = s;
}

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kThreads - 1) / kThreads, 1, 65536));
}
}  // namespace

void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWScalars& s) {
  if (n == 0) return;
  adamw_kernel<<<grid_for(n), kThreads, 0, ctx().stream>>>(params, m, v, grads, n, s);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void scale(float* x, int64_t n, float coef) {
  if (n == 0) return;
  scale_kernel<<<grid_for(n), kThreads, 0, ctx().stream>>>(x, n, coef);
  ASCENT_CUDA_CHECK_LAUNCH();
}

double sum_squares(const float* x, int64_t n) {
  if (n == 0) return 0.0;
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  auto* partial = static_cast<double*>(scratch(kSumSlot, static_cast<size_t>(blocks + 1) * sizeof(double)));
  sum_squares_partial<<<static_cast<unsigned>(blocks), kThreads, 0, ctx().stream>>>(partial + 1, x, n);
  ASCENT_CUDA_CHECK_LAUNCH();
  sum_partials<<<1, 1, 0, ctx().stream>>>(partial, partial + 1, blocks);
  ASCENT_CUDA_CHECK_LAUNCH();
  double total = 0.0;
  ASCENT_CUDA_CHECK(cudaMemcpyAsync(&total, partial, sizeof(double), cudaMemcpyDeviceToHost, ctx().stream));
  ASCENT_CUDA_CHECK(cudaStreamSynchronize(ctx().stream));
  return total;
}

}  // namespace ascent::cuda
