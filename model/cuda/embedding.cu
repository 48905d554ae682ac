#include <algorithm>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
__global__ void embedding_fwd_kernel(float* out, const int32_t* tokens, const float* table, int64_t N,
                                     int64_t C) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N * C;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = table[static_cast<int64_t>(tokens[i / C]) * C + i % C];
}

// One thread per channel, tokens in order: repeated tokens add up in a fixed order (deterministic, no atomics).
__global__ void embedding_bwd_kernel(float* dtable, const float* dout, const int32_t* tokens, int64_t N,
                                     int64_t C) {
  const int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (c >= C) return;
  for (int64_t n = 0; n < N; ++n) dtable[static_cast<int64_t>(tokens[n]) * C + c] += dout[n * C + c];
}
}  // namespace

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C) {
  if (N * C == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(65536, (N * C + 255) / 256));
  embedding_fwd_kernel<<<blocks, 256, 0, ctx().stream>>>(out, tokens, table, N, C);
  ASCENT_CUDA_CHECK_LAUNCH();
}

void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C) {
  if (N * C == 0) return;
  embedding_bwd_kernel<<<blocks_for(C, kWarp), kWarp, 0, ctx().stream>>>(dtable, dout, tokens, N, C);
  ASCENT_CUDA_CHECK_LAUNCH();
}

}  // namespace ascent::cuda
