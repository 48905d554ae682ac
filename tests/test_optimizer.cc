// The learner ranks' optimiser (learner/optimizer.h) and the sharded collectives under it. Run alone it is
// one rank; ctest also runs it as 3 real MPI processes (optimizer_mpi_3_ranks), where every rank checks:
//  - collective_shard covers [0, n) in rank order with sizes differing by at most one (also n < ranks);
//  - reduce_scatter_sum, all_gather and gather_shards move exactly each rank's shard (values by hand);
//  - ZeRO-1 (each rank holds its shard of AdamW's moments) takes the same steps as zero_stage 0 and as one
//    process given the summed gradient (clipping active), and its gathered state equals that process's;
//  - a ZeRO-1 optimiser loaded from the whole state (a resume) continues as the single process does.
//  - with the model on a device backend (the strict test backend), the step runs there: alone bit for bit as
//    the host path, across ranks (stage 0 and ZeRO-1) as one process given the summed gradient;
//  - a non-finite gradient skips the update (parameters, moments, step count unchanged).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "collective/collective.h"
#include "core/rng.h"
#include "learner/optimizer.h"
#include "tests/model_fixtures.h"
#include "tests/strict_backend.h"

namespace ascent {
namespace {

Collective& world() {
  static std::unique_ptr<Collective> c = [] {
    auto r = collective_from_environment();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::move(*r) : collective_local();
  }();
  return *c;
}

// Rank r's gradient at step s: deterministic, different per rank.
std::vector<float> grad_of(int64_t n, int rank, int64_t step) {
  Rng rng(1000 * static_cast<uint64_t>(step) + static_cast<uint64_t>(rank) + 1);
  std::vector<float> g(static_cast<size_t>(n));
  for (float& x : g) x = 0.3f * static_cast<float>(rng.next_normal());
  return g;
}

OptimizerConfig config() {
  OptimizerConfig c;
  c.adamw.lr = 1e-2, c.adamw.weight_decay = 0.1, c.adamw.eps = 1e-8;
  c.schedule.lr = 1e-2, c.schedule.warmup_steps = 2;
  c.grad_clip = 0.5;  // below the summed gradient's norm: clipping is active
  return c;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], 1e-6 + 1e-5 * std::fabs(b[i])) << what << " [" << i << "]";
}

TEST(CollectiveShard, CoversEveryElementOnceInRankOrder) {
  for (int64_t n : {0, 1, 2, 5, 7, 100, 1001}) {
    for (int size : {1, 2, 3, 4, 8}) {
      int64_t at = 0, lo = n, hi = 0;
      for (int r = 0; r < size; ++r) {
        const Shard s = collective_shard(n, r, size);
        ASSERT_EQ(s.begin, at) << "n " << n << " size " << size << " rank " << r;
        at = s.end;
        lo = std::min(lo, s.size()), hi = std::max(hi, s.size());
      }
      EXPECT_EQ(at, n);
      EXPECT_LE(hi - lo, 1);
    }
  }
}

TEST(Collective, ShardedOperationsMoveEachRanksShard) {
  Collective& c = world();
  const int R = c.size(), me = c.rank();
  for (int64_t n : {1, 2, 7, 1001}) {
    std::vector<float> d(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(me * 1000 + i);
    c.reduce_scatter_sum(d.data(), n);
    const Shard s = collective_shard(n, me, R);
    for (int64_t i = s.begin; i < s.end; ++i)  // sum over r of (1000 r + i)
      ASSERT_EQ(d[i], static_cast<float>(1000 * R * (R - 1) / 2 + R * i)) << "reduce-scatter, n " << n;
    for (int64_t i = 0; i < n; ++i) d[i] = i >= s.begin && i < s.end ? static_cast<float>(7 * me + i) : -1.0f;
    c.all_gather(d.data(), n);
    for (int r = 0; r < R; ++r) {
      const Shard o = collective_shard(n, r, R);
      for (int64_t i = o.begin; i < o.end; ++i)
        ASSERT_EQ(d[i], static_cast<float>(7 * r + i)) << "all-gather";
    }
    for (int root : {0, R - 1}) {
      std::vector<float> mine;
      for (int64_t i = s.begin; i < s.end; ++i) mine.push_back(static_cast<float>(3 * me - i));
      std::vector<float> full(static_cast<size_t>(n), -9.0f);
      c.gather_shards(mine.data(), full.data(), n, root);
      if (me != root) continue;
      for (int r = 0; r < R; ++r) {
        const Shard o = collective_shard(n, r, R);
        for (int64_t i = o.begin; i < o.end; ++i)
          ASSERT_EQ(full[i], static_cast<float>(3 * r - i)) << "gather";
      }
    }
  }
}

TEST(LearnerOptimizer, ZeroOneStepsAsTheWholeStateAndAsOneProcess) {
  Collective& c = world();
  auto local = collective_local();
  const OptimizerConfig cfg = config();
  Model whole = test_model(ModelArch::kQwen3, false, 5), zero1 = test_model(ModelArch::kQwen3, false, 5);
  Model ref = test_model(ModelArch::kQwen3, false, 5);
  for (Model* m : {&whole, &zero1, &ref}) model_grads_enable(*m);
  const int64_t n = static_cast<int64_t>(ref.params.size());
  LearnerOptimizer o0(cfg, 0, c, n), o1(cfg, 1, c, n), oref(cfg, 0, *local, n);
  for (int64_t step = 1; step <= 3; ++step) {
    whole.grads = zero1.grads = grad_of(n, c.rank(), step);
    std::vector<float> sum(static_cast<size_t>(n), 0.0f);  // what one process would get: every rank's share
    for (int r = 0; r < c.size(); ++r) {
      const std::vector<float> g = grad_of(n, r, step);
      for (int64_t i = 0; i < n; ++i) sum[i] += g[i];
    }
    ref.grads = sum;
    const double n0 = o0.step(whole, step), n1 = o1.step(zero1, step), nr = oref.step(ref, step);
    // The ranks' gradients are summed in float in another order than one process sums them: 1e-6 relative.
    EXPECT_NEAR(n1, nr, 1e-6 * nr) << "step " << step;
    EXPECT_NEAR(n0, nr, 1e-6 * nr) << "step " << step;
    EXPECT_GT(nr, cfg.grad_clip) << "clipping should be active";
    expect_close(zero1.params, ref.params, "ZeRO-1 parameters");
    expect_close(whole.params, ref.params, "zero_stage 0 parameters");
  }
  const AdamWState full = o1.gather_full();
  const AdamWState mine = oref.gather_full();  // one process: the whole state
  if (c.rank() == 0) {
    EXPECT_EQ(full.step, 3);
    expect_close(full.m, mine.m, "gathered first moments");
    expect_close(full.v, mine.v, "gathered second moments");
  } else {
    EXPECT_TRUE(full.m.empty());
  }
  // A resume: every rank loads the whole state, keeps its shard, and continues as the single process.
  LearnerOptimizer resumed(cfg, 1, c, n);
  resumed.load(mine);
  EXPECT_EQ(resumed.shard().size(), collective_shard(n, c.rank(), c.size()).size());
  Model again = test_model(ModelArch::kQwen3, false, 5);
  model_grads_enable(again);
  again.params = ref.params;
  again.grads = grad_of(n, c.rank(), 4);
  std::vector<float> sum(static_cast<size_t>(n), 0.0f);
  for (int r = 0; r < c.size(); ++r) {
    const std::vector<float> g = grad_of(n, r, 4);
    for (int64_t i = 0; i < n; ++i) sum[i] += g[i];
  }
  ref.grads = sum;
  resumed.step(again, 4);
  oref.step(ref, 4);
  expect_close(again.params, ref.params, "parameters after a resume");
}

// The model's gradient as its backend holds it (the device's copy on a device backend).
void set_grads(Model& m, const std::vector<float>& g) {
  m.grads = g;
  if (!m.backend->host_memory())
    m.backend->copy_to_device(m.device_grads.data<float>(), g.data(), g.size() * 4);
}

// On a device backend (the strict test backend: its own memory, the CPU ops) with one rank, the step runs on
// the device: gradient norm, clipping and AdamW there, the host arena refreshed. It takes the host path's
// steps bit for bit (same ops), its gathered state equals the host's, and a load continues from there.
TEST(LearnerOptimizer, OnADeviceStepsAsOnTheHost) {
  auto local = collective_local();
  const OptimizerConfig cfg = config();
  Model host = test_model(ModelArch::kQwen3, false, 6), dev = test_model(ModelArch::kQwen3, false, 6);
  model_grads_enable(host), model_grads_enable(dev);
  model_to_backend(dev, testing_strict::strict());
  const int64_t n = static_cast<int64_t>(host.params.size());
  LearnerOptimizer oh(cfg, 0, *local, n), od(cfg, 0, *local, n);
  for (int64_t step = 1; step <= 3; ++step) {
    set_grads(host, grad_of(n, 0, step)), set_grads(dev, grad_of(n, 0, step));
    const double nh = oh.step(host, step), nd = od.step(dev, step);
    EXPECT_EQ(nh, nd) << "step " << step;
    EXPECT_GT(nh, cfg.grad_clip) << "clipping should be active";
    ASSERT_EQ(std::memcmp(host.params.data(), dev.params.data(), n * 4), 0)
        << "host arena after step " << step;
    std::vector<float> on_device(static_cast<size_t>(n));
    dev.backend->copy_to_host(on_device.data(), dev.device_params.data<float>(), n * 4);
    ASSERT_EQ(std::memcmp(on_device.data(), host.params.data(), n * 4), 0) << "device parameters";
  }
  const AdamWState sh = oh.gather_full(), sd = od.gather_full();
  EXPECT_EQ(sd.step, 3);
  EXPECT_EQ(std::memcmp(sh.m.data(), sd.m.data(), n * 4), 0) << "first moments gathered from the device";
  EXPECT_EQ(std::memcmp(sh.v.data(), sd.v.data(), n * 4), 0) << "second moments gathered from the device";
  LearnerOptimizer resumed(cfg, 0, *local, n);  // a resume onto the device
  resumed.load(sh);
  set_grads(host, grad_of(n, 0, 4)), set_grads(dev, grad_of(n, 0, 4));
  oh.step(host, 4), resumed.step(dev, 4);
  EXPECT_EQ(std::memcmp(host.params.data(), dev.params.data(), n * 4), 0) << "parameters after a resume";
  // load() into an optimiser that already stepped on the device replaces the moments there too.
  AdamWState other = oh.gather_full();
  for (float& x : other.m) x *= -2.0f;
  oh.load(other), od.load(other);
  dev.params = host.params;
  model_params_to_backend(dev);
  set_grads(host, grad_of(n, 0, 5)), set_grads(dev, grad_of(n, 0, 5));
  oh.step(host, 5), od.step(dev, 5);
  EXPECT_EQ(std::memcmp(host.params.data(), dev.params.data(), n * 4), 0) << "a load after device steps";
  EXPECT_EQ(testing_strict::strict().violations, 0);
}

// A non-finite gradient is never trained: the step returns the non-finite norm and changes nothing (the
// parameters, the moments, the step count), on the host path and on a device, and the next finite step runs.
TEST(LearnerOptimizer, NonFiniteGradientSkipsTheUpdate) {
  auto local = collective_local();
  const OptimizerConfig cfg = config();
  for (bool on_device : {false, true}) {
    Model m = test_model(ModelArch::kLlama, false, 7);
    model_grads_enable(m);
    if (on_device) model_to_backend(m, testing_strict::strict());
    const int64_t n = static_cast<int64_t>(m.params.size());
    LearnerOptimizer opt(cfg, 0, *local, n);
    set_grads(m, grad_of(n, 0, 1));
    opt.step(m, 1);
    const std::vector<float> before = m.params;
    const AdamWState s_before = opt.gather_full();
    for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
      std::vector<float> g = grad_of(n, 0, 2);
      g[static_cast<size_t>(n / 2)] = bad;
      set_grads(m, g);
      EXPECT_FALSE(std::isfinite(opt.step(m, 2))) << (on_device ? "device" : "host");
      EXPECT_EQ(m.params, before) << "parameters changed by a non-finite gradient";
      const AdamWState s = opt.gather_full();
      EXPECT_EQ(s.step, s_before.step);
      EXPECT_EQ(s.m, s_before.m);
      EXPECT_EQ(s.v, s_before.v);
    }
    set_grads(m, grad_of(n, 0, 2));
    EXPECT_TRUE(std::isfinite(opt.step(m, 2)));
    EXPECT_NE(m.params, before) << "a finite step after the skipped ones updates";
  }
}

// world() claiming device memory: the strict backend's memory is host-addressable, so MPI moves it. This runs
// the optimiser's device path with several ranks (the sums on the device, ZeRO-1's moments per shard there),
// as the NCCL Collective does on GPUs, whose machine for tests has one GPU.
class DeviceMemoryWorld final : public Collective {
 public:
  int rank() const override { return world().rank(); }
  int size() const override { return world().size(); }
  bool device_memory() const override { return true; }
  // The float buffers must be the device's (as NCCL's must): a host pointer counts as a violation.
  void allreduce_sum(float* d, int64_t n) override {
    testing_strict::strict().check(d, "allreduce_sum on device memory");
    world().allreduce_sum(d, n);
  }
  void allreduce_sum(double* d, int64_t n) override { world().allreduce_sum(d, n); }
  void allreduce_max(double* d, int64_t n) override { world().allreduce_max(d, n); }
  void reduce_scatter_sum(float* d, int64_t n) override {
    testing_strict::strict().check(d, "reduce_scatter_sum on device memory");
    world().reduce_scatter_sum(d, n);
  }
  void all_gather(float* d, int64_t n) override {
    testing_strict::strict().check(d, "all_gather on device memory");
    world().all_gather(d, n);
  }
  void gather_shards(const float* s, float* f, int64_t n, int root) override {
    world().gather_shards(s, f, n, root);
  }
  void broadcast(std::string* d, int root) override { world().broadcast(d, root); }
  void barrier() override { world().barrier(); }
};

TEST(LearnerOptimizer, OnDevicesAcrossRanksStepsAsOneProcess) {
  DeviceMemoryWorld c;
  auto local = collective_local();
  const OptimizerConfig cfg = config();
  for (int stage : {0, 1}) {
    Model dev = test_model(ModelArch::kQwen2, false, 8), ref = test_model(ModelArch::kQwen2, false, 8);
    model_grads_enable(dev), model_grads_enable(ref);
    model_to_backend(dev, testing_strict::strict());
    const int64_t n = static_cast<int64_t>(ref.params.size());
    LearnerOptimizer od(cfg, stage, c, n), oref(cfg, 0, *local, n);
    for (int64_t step = 1; step <= 3; ++step) {
      set_grads(dev, grad_of(n, c.rank(), step));
      std::vector<float> sum(static_cast<size_t>(n), 0.0f);
      for (int r = 0; r < c.size(); ++r) {
        const std::vector<float> g = grad_of(n, r, step);
        for (int64_t i = 0; i < n; ++i) sum[i] += g[i];
      }
      set_grads(ref, sum);
      const double nd = od.step(dev, step), nr = oref.step(ref, step);
      EXPECT_NEAR(nd, nr, 1e-6 * nr) << "stage " << stage << " step " << step;
      expect_close(dev.params, ref.params, stage ? "ZeRO-1 on devices: parameters" : "devices: parameters");
    }
    const AdamWState full = od.gather_full(), mine = oref.gather_full();
    if (c.rank() == 0) {
      EXPECT_EQ(full.step, 3);
      expect_close(full.m, mine.m, "first moments gathered from the devices");
      expect_close(full.v, mine.v, "second moments gathered from the devices");
    }
  }
  EXPECT_EQ(testing_strict::strict().violations, 0);
}

}  // namespace
}  // namespace ascent
