// Linear layers y = x W^T + b (Hugging Face [out, in] weights) through cuBLASLt (model/cuda/gemm.h).
#include <algorithm>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/gemm.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
__global__ void bias_rows_kernel(float* out, const float* bias, int64_t N, int64_t O) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N * O;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = bias[i % O];
}
}  // namespace

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                    int64_t I, int64_t O) {
  if (N * O == 0) return;
  if (bias != nullptr) {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(65536, (N * O + 255) / 256));
    bias_rows_kernel<<<blocks, 256, 0, ctx().stream>>>(out, bias, N, O);
    ASCENT_CUDA_CHECK_LAUNCH();
  }
  gemm_rm(false, true, N, O, I, 1.0f, inp, I, weight, I, bias ? 1.0f : 0.0f, out, O);
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O, bool overwrite_dinp) {
  if (dinp != nullptr)
    gemm_rm(false, false, N, I, O, 1.0f, dout, O, weight, I, overwrite_dinp ? 0.0f : 1.0f, dinp, I);
  gemm_rm(true, false, O, I, N, 1.0f, dout, O, inp, I, 1.0f, dweight, I);
  if (dbias != nullptr) column_sums_add(dbias, dout, N, O);
}

}  // namespace ascent::cuda
