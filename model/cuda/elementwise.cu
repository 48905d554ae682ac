// add_inplace, gather_rows, scatter_rows, swiglu and rope: one thread per element, grid-stride loops.
#include <algorithm>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(
      std::min<int64_t>(kMaxBlocks, std::max<int64_t>(1, (n + kThreads - 1) / kThreads)));
}

#define GRID_STRIDE(i, n)                                                   \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

__global__ void add_kernel(float* y, const float* x, int64_t n) {
  GRID_STRIDE(i, n) y[i] += x[i];
}

__global__ void gather_kernel(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  GRID_STRIDE(i, n * C) out[i] = inp[rows[i / C] * C + i % C];
}

__global__ void scatter_kernel(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  GRID_STRIDE(i, n * C) out[rows[i / C] * C + i % C] = inp[i];
}

__global__ void swiglu_fwd_kernel(float* out, const float* gate, const float* up, int64_t n) {
  GRID_STRIDE(i, n) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

__global__ void swiglu_bwd_kernel(float* dgate, float* dup, const float* dout, const float* gate,
                                  const float* up, int64_t n) {
  GRID_STRIDE(i, n) {
    const float g = gate[i], s = 1.0f / (1.0f + expf(-g));
    dup[i] = dout[i] * g * s;
    dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
  }
}

// One thread per (token, head, pair d < D/2); sign -1 rotates back (the backward).
__global__ void rope_kernel(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D,
                            float sign) {
  const int64_t half = D / 2;
  GRID_STRIDE(i, N * NH * half) {
    const int64_t d = i % half, nh = i / half, n = nh / NH;
    float* v = x + nh * D;
    const float c = cos[n * half + d], s = sign * sin[n * half + d];
    const float x1 = v[d], x2 = v[d + half];
    v[d] = x1 * c - x2 * s;
    v[d + half] = x2 * c + x1 * s;
  }
}
}  // namespace

void add_inplace(float* y, const float* x, int64_t n) {
  if (n == 0) return;
  add_kernel<<<grid_for(n), kThreads, 0, ctx().stream>>>(y, x, n);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void gather_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  if (n * C == 0) return;
  gather_kernel<<<grid_for(n * C), kThreads, 0, ctx().stream>>>(out, inp, rows, n, C);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void scatter_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  if (n * C == 0) return;
  scatter_kernel<<<grid_for(n * C), kThreads, 0, ctx().stream>>>(out, inp, rows, n, C);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F) {
  if (N * F == 0) return;
  swiglu_fwd_kernel<<<grid_for(N * F), kThreads, 0, ctx().stream>>>(out, gate, up, N * F);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t N, int64_t F) {
  if (N * F == 0) return;
  swiglu_bwd_kernel<<<grid_for(N * F), kThreads, 0, ctx().stream>>>(dgate, dup, dout, gate, up, N * F);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void rope_forward(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D) {
  if (N * NH * D == 0) return;
  rope_kernel<<<grid_for(N * NH * D / 2), kThreads, 0, ctx().stream>>>(x, cos, sin, N, NH, D, 1.0f);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void rope_backward(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D) {
  if (N * NH * D == 0) return;
  rope_kernel<<<grid_for(N * NH * D / 2), kThreads, 0, ctx().stream>>>(dx, cos, sin, N, NH, D, -1.0f);
  ASCENT_CUDA_CHECK_LAUNCH();
}

}  // namespace ascent::cuda
