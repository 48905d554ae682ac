// The backend seam (model/backend.h): device names, DeviceBuffer, and the transformer run on a strict test
// backend whose memory is its own (not host memory): every op checks that each pointer it is given lies in a
// live allocation of that backend, then runs the CPU reference op. A pointer to host memory reaching an op
// (an input the engine forgot to copy in, a weight view left on the host arena) fails the test; the results
// must equal the CPU backend's bit for bit, so no copy is missing or misplaced either.
#include <gtest/gtest.h>

#include <cstring>

#include "model/backend.h"
#include "model/kv_cache.h"
#include "model/transformer.h"
#include "tests/model_fixtures.h"
#include "tests/strict_backend.h"

namespace ascent {
namespace {

using testing_strict::strict;

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
    PackedBatch b = test_batch(cpu_m.cfg.vocab_size, {7, 12, 5}, 9);
    // A shared prompt (not at row 0) and its continuations: the gathers and gradient folds run on the
    // backend too (model/transformer.h, shared-prefix packing).
    const int64_t prompt = batch_add_sequence(b, {3, 1, 4, 1, 5}, /*targets=*/false);
    batch_add_continuation(b, prompt, {9, 2, 6});
    batch_add_continuation(b, prompt, {5, 3});
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
