// A strict test backend for the seam (model/backend.h): its memory is its own (not host memory), and every op
// checks that each pointer it is given lies in a live allocation of that backend, then runs the CPU
// reference op. A pointer to host memory reaching an op (an input the engine forgot to copy in, a weight view
// left on the host arena) fails the test; results equal the CPU backend's bit for bit, so no copy is missing or
// misplaced either. Used by tests/test_backend.cc (the transformer) and tests/test_optimizer.cc (the learner's
// optimiser on a device).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "model/adamw.h"
#include "model/backend.h"
#include "model/cpu/attention.h"
#include "model/cpu/elementwise.h"
#include "model/cpu/embedding.h"
#include "model/cpu/linear.h"
#include "model/cpu/lm_head.h"
#include "model/cpu/rmsnorm.h"
#include "model/cpu/rope.h"
#include "model/cpu/swiglu.h"

namespace ascent::testing_strict {

// Allocations of the strict backend; ops check their pointers against it. One instance per process.
class StrictBackend final : public Backend {
 public:
  Device device() const override { return Device{DeviceKind::kCuda, 7}; }  // any non-CPU device
  bool host_memory() const override { return false; }
  void* alloc(size_t bytes) override {
    void* p = std::malloc(bytes);
    std::lock_guard<std::mutex> lock(mu_);
    live_[static_cast<char*>(p)] = bytes;
    return p;
  }
  void free(void* p) override {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(live_.erase(static_cast<char*>(p)), 1u) << "free of memory this backend did not allocate";
    std::free(p);
  }
  void copy_to_device(void* dst, const void* src, size_t n) override {
    check(dst, "copy_to_device dst");
    ++copies_in;
    std::memcpy(dst, src, n);
  }
  void copy_to_host(void* dst, const void* src, size_t n) override {
    check(src, "copy_to_host src");
    ++copies_out;
    std::memcpy(dst, src, n);
  }
  void copy(void* dst, const void* src, size_t n) override {
    check(dst, "copy dst"), check(src, "copy src");
    std::memcpy(dst, src, n);
  }
  void fill_zero(void* p, size_t n) override {
    check(p, "fill_zero");
    std::memset(p, 0, n);
  }
  void synchronize() override {}
  const BackendOps& ops() const override;

  // The pointer lies inside a live allocation (nullptr is allowed: optional arguments).
  void check(const void* p, const char* what) {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    const char* c = static_cast<const char*>(p);
    auto it = live_.upper_bound(const_cast<char*>(c));
    const bool inside = it != live_.begin() && c < std::prev(it)->first + std::prev(it)->second;
    EXPECT_TRUE(inside) << what << ": a pointer outside this backend's memory";
    if (!inside) ++violations;
  }
  int64_t copies_in = 0, copies_out = 0, violations = 0;

 private:
  std::mutex mu_;
  std::map<char*, size_t> live_;
};

inline StrictBackend& strict() {
  static StrictBackend b;
  return b;
}

template <typename... P>
inline void ck(const char* op, P... ptrs) {
  (strict().check(ptrs, op), ...);
}
inline void ck_spans(const std::vector<AttnSpan>& spans) {
  for (const AttnSpan& s : spans) ck("attention span", s.k, s.v, s.dk, s.dv);
}

inline const BackendOps kStrictOps = {
    .embedding_forward =
        [](float* out, const int32_t* t, const float* table, int64_t N, int64_t C) {
          ck("embedding_forward", out, t, table);
          cpu::embedding_forward(out, t, table, N, C);
        },
    .embedding_backward =
        [](float* dtable, const float* dout, const int32_t* t, int64_t N, int64_t C) {
          ck("embedding_backward", dtable, dout, t);
          cpu::embedding_backward(dtable, dout, t, N, C);
        },
    .rmsnorm_forward =
        [](float* out, float* rstd, const float* inp, const float* w, int64_t N, int64_t C, float eps) {
          ck("rmsnorm_forward", out, rstd, inp, w);
          cpu::rmsnorm_forward(out, rstd, inp, w, N, C, eps);
        },
    .rmsnorm_backward =
        [](float* dinp, float* dw, const float* dout, const float* inp, const float* w, const float* rstd,
           int64_t N, int64_t C) {
          ck("rmsnorm_backward", dinp, dw, dout, inp, w, rstd);
          cpu::rmsnorm_backward(dinp, dw, dout, inp, w, rstd, N, C);
        },
    .rope_forward =
        [](float* x, const float* c, const float* s, int64_t N, int64_t NH, int64_t D) {
          ck("rope_forward", x, c, s);
          cpu::rope_forward(x, c, s, N, NH, D);
        },
    .rope_backward =
        [](float* dx, const float* c, const float* s, int64_t N, int64_t NH, int64_t D) {
          ck("rope_backward", dx, c, s);
          cpu::rope_backward(dx, c, s, N, NH, D);
        },
    .linear_forward =
        [](float* out, const float* inp, const float* w, const float* b, int64_t N, int64_t I, int64_t O) {
          ck("linear_forward", out, inp, w, b);
          cpu::linear_forward(out, inp, w, b, N, I, O);
        },
    .linear_backward =
        [](float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w, int64_t N,
           int64_t I, int64_t O, bool overwrite) {
          ck("linear_backward", dinp, dw, db, dout, inp, w);
          cpu::linear_backward(dinp, dw, db, dout, inp, w, N, I, O, overwrite);
        },
    .swiglu_forward =
        [](float* out, const float* g, const float* u, int64_t N, int64_t F) {
          ck("swiglu_forward", out, g, u);
          cpu::swiglu_forward(out, g, u, N, F);
        },
    .swiglu_backward =
        [](float* dg, float* du, const float* dout, const float* g, const float* u, int64_t N, int64_t F) {
          ck("swiglu_backward", dg, du, dout, g, u);
          cpu::swiglu_backward(dg, du, dout, g, u, N, F);
        },
    .attention_forward =
        [](float* out, float* lse, const float* q, const std::vector<AttnSpan>& sp, int64_t H, int64_t KV,
           int64_t D) {
          ck("attention_forward", out, lse, q);
          ck_spans(sp);
          cpu::attention_forward(out, lse, q, sp, H, KV, D);
        },
    .attention_backward =
        [](float* dq, const float* dout, const float* q, const float* out, const float* lse,
           const std::vector<AttnSpan>& sp, int64_t H, int64_t KV, int64_t D) {
          ck("attention_backward", dq, dout, q, out, lse);
          ck_spans(sp);
          cpu::attention_backward(dq, dout, q, out, lse, sp, H, KV, D);
        },
    .lm_head_logprob_forward =
        [](float* logp, float* ent, const float* h, const float* w, const int32_t* t, int64_t N, int64_t C,
           int64_t V, const LmHeadOptions& o) {
          ck("lm_head_logprob_forward", logp, ent, h, w, t);
          cpu::lm_head_logprob_forward(logp, ent, h, w, t, N, C, V, o);
        },
    .lm_head_logprob_backward =
        [](float* dh, float* dw, const float* dlogp, const float* h, const float* w, const int32_t* t,
           int64_t N, int64_t C, int64_t V, const LmHeadOptions& o) {
          ck("lm_head_logprob_backward", dh, dw, dlogp, h, w, t);
          cpu::lm_head_logprob_backward(dh, dw, dlogp, h, w, t, N, C, V, o);
        },
    .lm_head_logits =
        [](float* out, const float* h, const float* w, int64_t N, int64_t C, int64_t V) {
          ck("lm_head_logits", out, h, w);
          cpu::lm_head_logits(out, h, w, N, C, V);
        },
    .add_inplace =
        [](float* y, const float* x, int64_t n) {
          ck("add_inplace", y, x);
          cpu::add_inplace(y, x, n);
        },
    .gather_rows =
        [](float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
          ck("gather_rows", out, inp, rows);
          cpu::gather_rows(out, inp, rows, n, C);
        },
    .scatter_rows =
        [](float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
          ck("scatter_rows", out, inp, rows);
          cpu::scatter_rows(out, inp, rows, n, C);
        },
    .adamw_update =
        [](float* p, float* m, float* v, const float* g, int64_t n, const AdamWScalars& s) {
          ck("adamw_update", p, m, v, g);
          adamw_update(p, m, v, g, n, s);
        },
    .sum_squares =
        [](const float* x, int64_t n) {
          ck("sum_squares", x);
          return grad_sum_squares(x, n);
        },
    .scale =
        [](float* x, int64_t n, float coef) {
          ck("scale", x);
          grad_scale(x, n, coef);
        },
};

inline const BackendOps& StrictBackend::ops() const {
  return kStrictOps;
}

}  // namespace ascent::testing_strict
