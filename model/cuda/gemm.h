// Row-major FP32 matrix products through cuBLASLt on the context's stream (model/cuda/context.h).
// C[M,N] = alpha * op(A) op(B) + beta * C with op(X) = X or X^T; A is [M,K] (or [K,M] when transposed),
// B is [K,N] (or [N,K]); lda/ldb/ldc are row strides in elements. Compute is full FP32
// (CUBLAS_COMPUTE_32F, no TF32), so results match the CPU's cblas_sgemm up to summation order.
// cuBLASLt rather than an own kernel: NVIDIA's tuned GEMMs are the well-kept library for this.
#pragma once

#include <cstdint>

namespace ascent::cuda {

void gemm_rm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
             int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace ascent::cuda
