// The engine's op table: every op the transformer (model/transformer.cc) runs, as one struct of function
// pointers that a backend fills (model/backend.h). Names and argument order mirror the CPU reference ops in
// model/cpu/ (llm.c style: `<op>_forward(out, inp, ..., shapes)`, `<op>_backward(dinp, dweight, dout, ...)`,
// gradients prefixed `d`); a CUDA backend keeps the names and runs them on its stream. Every pointer is in
// the backend's memory; index arrays (tokens, rows, targets) too. Shape key: N rows (tokens), C channels,
// I/O linear input/output features, F intermediate, H query heads, KV key/value heads, D head dim, V vocab.
// Each op's semantics are documented once, at its CPU reference in model/cpu/<op>.h.
#pragma once

#include <cstdint>
#include <vector>

namespace ascent {

// A run of n_q query rows (batch rows q_start..q_start+n_q-1) of one sequence whose keys are k/v rows
// 0..n_k-1 (a slice of this batch, or a KV-cache slot); query i sees keys 0..n_k-n_q+i (causal).
struct AttnSpan {
  int64_t q_start = 0;
  int64_t n_q = 0;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t n_k = 0;
  float* dk = nullptr;  // backward only: accumulated, same layout as k
  float* dv = nullptr;
};

// The FP32 LM head's settings (ScaleRL's FP32 head; logits in chunks of rows so [N x V] never exists whole).
struct LmHeadOptions {
  float temperature = 1.0f;
  int64_t chunk_bytes = 64ll << 20;  // logits scratch per chunk; rows per chunk = chunk_bytes / (4 V)
};

// One AdamW step's scalars, computed on the host from the config, learning rate and step count
// (model/adamw.h: adamw_scalars), so that every backend's update is the same elementwise arithmetic.
struct AdamWScalars {
  float one_minus_beta1 = 0, beta2 = 0, one_minus_beta2 = 0;
  float step_size = 0;  // lr / (1 - beta1^t)
  float bc2_sqrt = 0;   // sqrt(1 - beta2^t)
  float decay = 0;      // 1 - lr * weight_decay
  float eps = 0;
};

struct BackendOps {
  // model/cpu/embedding.h
  void (*embedding_forward)(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C);
  void (*embedding_backward)(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C);
  // model/cpu/rmsnorm.h
  void (*rmsnorm_forward)(float* out, float* rstd, const float* inp, const float* weight, int64_t N,
                          int64_t C, float eps);
  void (*rmsnorm_backward)(float* dinp, float* dweight, const float* dout, const float* inp,
                           const float* weight, const float* rstd, int64_t N, int64_t C);
  // model/cpu/rope.h (in place; cos/sin tables [N, D/2])
  void (*rope_forward)(float* x, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D);
  void (*rope_backward)(float* dx, const float* cos, const float* sin, int64_t N, int64_t NH, int64_t D);
  // model/cpu/linear.h
  void (*linear_forward)(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                         int64_t I, int64_t O);
  void (*linear_backward)(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, int64_t N, int64_t I, int64_t O, bool overwrite_dinp);
  // model/cpu/swiglu.h
  void (*swiglu_forward)(float* out, const float* gate, const float* up, int64_t N, int64_t F);
  void (*swiglu_backward)(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                          int64_t N, int64_t F);
  // model/cpu/attention.h (spans: host metadata pointing into the backend's memory)
  void (*attention_forward)(float* out, float* lse, const float* q, const std::vector<AttnSpan>& spans,
                            int64_t H, int64_t KV, int64_t D);
  void (*attention_backward)(float* dq, const float* dout, const float* q, const float* out, const float* lse,
                             const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D);
  // model/cpu/lm_head.h
  void (*lm_head_logprob_forward)(float* logp, float* entropy, const float* hidden, const float* weight,
                                  const int32_t* targets, int64_t N, int64_t C, int64_t V,
                                  const LmHeadOptions& opt);
  void (*lm_head_logprob_backward)(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                                   const float* weight, const int32_t* targets, int64_t N, int64_t C,
                                   int64_t V, const LmHeadOptions& opt);
  void (*lm_head_logits)(float* out, const float* hidden, const float* weight, int64_t N, int64_t C,
                         int64_t V);
  // model/cpu/elementwise.h: the residual add and row moves between the batch and its targets
  void (*add_inplace)(float* y, const float* x, int64_t n);
  void (*gather_rows)(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);
  void (*scatter_rows)(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);
  // model/adamw.h: the optimiser where the parameters live. sum_squares returns to the host (it waits for
  // the device), in double, summed in fixed blocks.
  void (*adamw_update)(float* params, float* m, float* v, const float* grads, int64_t n,
                       const AdamWScalars& s);
  double (*sum_squares)(const float* x, int64_t n);
  void (*scale)(float* x, int64_t n, float coef);
};

}  // namespace ascent
