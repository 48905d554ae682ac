// The CUDA backend's ops: the same names, arguments and semantics as the CPU reference ops of model/cpu/
// (each documented once in model/cpu/<op>.h), run on the context's stream (model/cuda/context.h). Every pointer
// is device memory; AttnSpan lists are host metadata whose k/v/dk/dv point into device memory.
// Precision: FP32 storage and FP32 arithmetic throughout (GEMMs through cuBLASLt with CUBLAS_COMPUTE_32F), so
// each op equals its CPU reference up to summation order; tests/test_cuda_ops.cc checks that op by op.
// Determinism: no atomics; every reduction has a fixed order, so a step is bitwise repeatable on one GPU.
#pragma once

#include <cstdint>
#include <vector>

#include "model/ops.h"

namespace ascent::cuda {

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C);
void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C);

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                     float eps);
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, int64_t N, int64_t C);

void rope_forward(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D);
void rope_backward(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D);

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                    int64_t I, int64_t O);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O, bool overwrite_dinp);

void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F);
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t N, int64_t F);

// Flash-attention-style: key/value tiles in shared memory, online softmax, log-sum-exp saved per (row, head);
// the backward recomputes the probabilities from it (dQ row-parallel, dK/dV key-parallel: no atomics).
void attention_forward(float* out, float* lse, const float* q, const std::vector<AttnSpan>& spans, int64_t H,
                       int64_t KV, int64_t D);
void attention_backward(float* dq, const float* dout, const float* q, const float* out, const float* lse,
                        const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D);

// FP32 LM head in chunks of rows (logits of one chunk in scratch, never [N x V]).
void lm_head_logprob_forward(float* logp, float* entropy, const float* hidden, const float* weight,
                             const int32_t* targets, int64_t N, int64_t C, int64_t V,
                             const LmHeadOptions& opt);
void lm_head_logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                              const float* weight, const int32_t* targets, int64_t N, int64_t C, int64_t V,
                              const LmHeadOptions& opt);
void lm_head_logits(float* out, const float* hidden, const float* weight, int64_t N, int64_t C, int64_t V);

void add_inplace(float* y, const float* x, int64_t n);
void gather_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);
void scatter_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);

// The optimiser (model/adamw.h): AdamW's update, the sum of squares (returned to the host: waits for the
// stream), the clipping scale.
void adamw_update(float* params, float* m, float* v, const float* grads, int64_t n, const AdamWScalars& s);
double sum_squares(const float* x, int64_t n);
void scale(float* x, int64_t n, float coef);

// Column sums over N rows, added: out[c] += sum_n x[n * C + c], in a fixed order (blocks of rows, then the
// blocks in order). Shared by the rmsnorm weight gradient and the linear bias gradient.
void column_sums_add(float* out, const float* x, int64_t N, int64_t C);

}  // namespace ascent::cuda
