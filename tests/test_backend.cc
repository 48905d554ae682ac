// The backend seam (model/backend.h): device names, DeviceBuffer, and the transformer run on a strict test
// backend whose memory is its own (not host memory): every op checks that each pointer it is given lies in a
// live allocation of that backend, then runs the CPU reference op. A pointer to host memory reaching an op
// (an input the engine forgot to copy in, a weight view left on the host arena) fails the test; the results
// must equal the CPU backend's bit for bit, so no copy is missing or misplaced either.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "model/backend.h"
#include "model/cpu/attention.h"
#include "model/cpu/elementwise.h"
#include "model/cpu/embedding.h"
#include "model/cpu/linear.h"
#include "model/cpu/lm_head.h"
#include "model/cpu/rmsnorm.h"
#include "model/cpu/rope.h"
#include "model/cpu/swiglu.h"
#include "model/kv_cache.h"
#include "model/transformer.h"
#include "tests/model_fixtures.h"

namespace ascent {
namespace {

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

StrictBackend& strict() {
  static StrictBackend b;
  return b;
}

template <typename... P>
void ck(const char* op, P... ptrs) {
  (strict().check(ptrs, op), ...);
}
void ck_spans(const std::vector<AttnSpan>& spans) {
  for (const AttnSpan& s : spans) ck("attention span", s.k, s.v, s.dk, s.dv);
}

const BackendOps kStrictOps = {
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
};

const BackendOps& StrictBackend::ops() const {
  return kStrictOps;
}

void expect_bitwise(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0) << what << " differ between backends";
}

TEST(Device, ParsesCpuAndCudaNames) {
  EXPECT_EQ(device_parse("cpu")->kind, DeviceKind::kCpu);
  EXPECT_EQ(device_parse("cuda")->index, 0);
  auto d = device_parse("cuda:3");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, DeviceKind::kCuda);
  EXPECT_EQ(d->index, 3);
  EXPECT_EQ(device_name(*d), "cuda:3");
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:1x", "CPU", ""}) {
    auto r = device_parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("expected cpu, cuda or cuda:N"), std::string::npos);
    }
  }
}

TEST(Device, CpuBackendAlwaysCudaNamedWhenMissing) {
  auto cpu = backend_for(Device{});
  ASSERT_TRUE(cpu.ok());
  EXPECT_TRUE((*cpu)->host_memory());
  // cuda:63 exists on no machine: the error names it, whether or not this build has CUDA.
  auto cuda = backend_for(Device{DeviceKind::kCuda, 63});
  ASSERT_FALSE(cuda.ok());
  EXPECT_NE(cuda.status().message().find("cuda:63"), std::string::npos) << cuda.status();
}

TEST(DeviceBuffer, GrowsZeroedAndReusesCapacity) {
  Backend& b = backend_cpu();
  DeviceBuffer buf;
  float* p = buf.ensure<float>(b, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p[i], 0.0f);
  p[5] = 1.0f;
  EXPECT_EQ(buf.ensure<float>(b, 50), p) << "a smaller request reuses the allocation";
  EXPECT_EQ(p[5], 1.0f) << "and keeps the contents";
  float* q = buf.ensure<float>(b, 1000);
  EXPECT_EQ(buf.bytes(), 4000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(q[i], 0.0f);
  DeviceBuffer moved = std::move(buf);
  EXPECT_EQ(moved.data<float>(), q);
  EXPECT_EQ(buf.data<float>(), nullptr);  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
}

TEST(DeviceBuffer, HostBackendPassesHostPointersWithoutCopies) {
  std::vector<float> host(8, 2.0f);
  DeviceBuffer scratch;
  EXPECT_EQ(device_input(backend_cpu(), host.data(), 8, scratch), host.data());
  EXPECT_EQ(device_output(backend_cpu(), host.data(), 8, scratch), host.data());
  EXPECT_EQ(scratch.bytes(), 0u);
  const float* in = device_input<float>(strict(), host.data(), 8, scratch);
  EXPECT_NE(in, host.data());
  EXPECT_EQ(in[7], 2.0f);
}

class BackendSeam : public ::testing::TestWithParam<ModelArch> {};

// Training forward (with entropy) and backward, recompute on and off, on both backends.
TEST_P(BackendSeam, TrainingPassEqualsCpuBitForBit) {
  for (bool recompute : {false, true}) {
    Model cpu_m = test_model(GetParam(), /*tied=*/GetParam() == ModelArch::kQwen2, 3);
    Model dev_m = test_model(GetParam(), GetParam() == ModelArch::kQwen2, 3);
    model_grads_enable(cpu_m);
    model_grads_enable(dev_m);
    model_to_backend(dev_m, strict());
    const PackedBatch b = test_batch(cpu_m.cfg.vocab_size, {7, 12, 5}, 9);
    LmHeadOptions opt;
    opt.temperature = 0.7f;
    opt.chunk_bytes = 4 * 40 * 5;  // several chunks of 5 rows
    std::vector<float> ent_c, ent_d;
    ForwardState sc, sd;
    sc.recompute = sd.recompute = recompute;
    auto lc = model_forward_logprobs(cpu_m, b, &sc, opt, &ent_c);
    auto ld = model_forward_logprobs(dev_m, b, &sd, opt, &ent_d);
    ASSERT_TRUE(lc.ok() && ld.ok());
    expect_bitwise(*lc, *ld, "log-probs");
    expect_bitwise(ent_c, ent_d, "entropies");
    std::vector<float> dlogp(lc->size());
    for (size_t i = 0; i < dlogp.size(); ++i) dlogp[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
    model_backward_logprobs(cpu_m, b, sc, dlogp, opt);
    model_backward_logprobs(dev_m, b, sd, dlogp, opt);
    model_grads_to_host(dev_m);
    expect_bitwise(cpu_m.grads, dev_m.grads, "gradients");
  }
  EXPECT_EQ(strict().violations, 0);
}

// Prefill + decode through the KV cache, a slot copy, and a weight swap between two steps.
TEST_P(BackendSeam, DecodeThroughTheCacheEqualsCpuBitForBit) {
  Model cpu_m = test_model(GetParam(), false, 4);
  Model dev_m = test_model(GetParam(), false, 4);
  model_to_backend(dev_m, strict());
  KvCache cc = kv_cache_create(cpu_m, 3, 24), cd = kv_cache_create(dev_m, 3, 24);
  const int64_t V = cpu_m.cfg.vocab_size;
  PackedBatch prefill = test_batch(V, {9}, 2);
  prefill.segments[0].slot = 0;
  std::vector<float> zc(static_cast<size_t>(V)), zd(zc.size());
  ASSERT_TRUE(model_forward_last_logits(cpu_m, prefill, cc, zc.data()).ok());
  ASSERT_TRUE(model_forward_last_logits(dev_m, prefill, cd, zd.data()).ok());
  expect_bitwise(zc, zd, "prefill logits");
  kv_cache_copy_slot(cc, 0, 2, 9);
  kv_cache_copy_slot(cd, 0, 2, 9);
  // New weights (the actor's swap), then one decode token in slots 0 and 2.
  std::vector<float> next_c = test_model(GetParam(), false, 5).params, next_d = next_c;
  ASSERT_TRUE(model_swap_params(cpu_m, next_c).ok());
  ASSERT_TRUE(model_swap_params(dev_m, next_d).ok());
  PackedBatch step;
  step.tokens = {3, 17};
  step.segments = {{1, 9, 0}, {1, 9, 2}};
  zc.resize(2 * V), zd.resize(2 * V);
  ASSERT_TRUE(model_forward_last_logits(cpu_m, step, cc, zc.data()).ok());
  ASSERT_TRUE(model_forward_last_logits(dev_m, step, cd, zd.data()).ok());
  expect_bitwise(zc, zd, "decode logits after a weight swap");
  EXPECT_EQ(strict().violations, 0);
  EXPECT_GT(strict().copies_out, 0) << "logits come back from a device backend by copy";
}

INSTANTIATE_TEST_SUITE_P(Families, BackendSeam,
                         ::testing::Values(ModelArch::kQwen2, ModelArch::kLlama, ModelArch::kQwen3),
                         arch_param_name);

}  // namespace
}  // namespace ascent
