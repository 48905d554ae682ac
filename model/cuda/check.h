// One error-check macro family for the CUDA runtime, cuBLAS(Lt) and NCCL (ASCENT_NCCL_CHECK, beside NCCL's
// include in collective/nccl_collective.cc; cuDNN joins with its ops): a failed call aborts with file:line, the call's text and the library's own error name and string,
// like ASCENT_CHECK (core/status.h) for broken invariants. A GPU error mid-step leaves the device in an
// unknown state, so it is never turned into a recoverable Status. Usable from .cu and .cc files alike.
//   ASCENT_CUDA_CHECK(cudaMalloc(...));
//   ASCENT_CUDA_CHECK_LAUNCH();             // after a kernel launch: cudaGetLastError()
//   ASCENT_CUBLAS_CHECK(cublasLtMatmul(...));
//   ASCENT_CUDA_REQUIRE(D <= 256, "attention: head_dim <= 256");   // a broken precondition
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

namespace ascent::cuda {

void check_cuda(cudaError_t e, const char* call, const char* file, int line);
void check_cublas(cublasStatus_t s, const char* call, const char* file, int line);
// NCCL's result as an int and its error string (so this header needs no nccl.h; the macro ASCENT_NCCL_CHECK
// lives where NCCL is included: collective/nccl_collective.cc).
void check_nccl(int result, const char* error, const char* call, const char* file, int line);
[[noreturn]] void check_failed(const char* cond, const char* hint, const char* file, int line);

}  // namespace ascent::cuda

#define ASCENT_CUDA_CHECK(call) ::ascent::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define ASCENT_CUDA_CHECK_LAUNCH() \
  ::ascent::cuda::check_cuda(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
// ASCENT_CHECK for the .cu files (core/status.h brings Abseil, which stays out of nvcc).
#define ASCENT_CUDA_REQUIRE(cond, hint) \
  ((cond) ? (void)0 : ::ascent::cuda::check_failed(#cond, (hint), __FILE__, __LINE__))
#define ASCENT_CUBLAS_CHECK(call) ::ascent::cuda::check_cublas((call), #call, __FILE__, __LINE__)
