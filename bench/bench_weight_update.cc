// The cost of a weight update for the actor: a model's parameters published by the learner (bf16 buckets of
// run.weight_bucket_mb with CRC-32), fetched over loopback gRPC (the path between hosts) and mapped from
// /dev/shm (the path on the learner's host), checked and written into the actor's model; against a memcpy of
// the same bytes (the floor of any transport on one host) and the time of one decode step of that model
// (batch 16, the baseline the update interrupts). The actor receives into a staging copy beside decoding and
// only swaps between two steps (actor/actor.h): the swap is timed, and so is a decode step while a receive
// runs in another thread. Usage: bench_weight_update [--preset 0.5b] [--bucket-mb 2]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "CLI/CLI.hpp"
#include "core/run_secret.h"
#include "generation/generate.h"
#include "learner/learner_config.h"
#include "model/model.h"
#include "model/params.h"
#include "transport/weight_client.h"
#include "transport/weight_server.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

namespace {

// A fixed run secret: the benchmark's server and client are one process.
constexpr char kBenchSecret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  std::string preset = "0.5b";
  int64_t bucket_mb = RunConfig{}.weight_bucket_mb;  // the recipe default
  CLI::App app{"bench_weight_update"};
  app.add_option("--preset", preset);
  app.add_option("--bucket-mb", bucket_mb);
  CLI11_PARSE(app, argc, argv);
  auto cfg = model_config_preset(ModelArch::kQwen2, preset, 0);
  if (!cfg.ok()) return 1;
  auto learner = model_create(*cfg, DType::kBF16);
  auto actor = model_create(*cfg, DType::kBF16);
  if (!learner.ok() || !actor.ok()) return 1;
  model_init_random(*learner, 1);
  model_init_random(*actor, 2);
  const int64_t n = learner->layout.total;

  WeightPublisher pub(bucket_mb << 20, WireDType::kBF16, kWeightShmDir);
  double t0 = now();
  pub.publish(1, learner->params.data(), n);
  const double publish_s = now() - t0;
  ServerAuth auth(kBenchSecret);
  ServerSecurity security;
  security.auth = &auth;
  WeightServer server(&pub, "127.0.0.1:0", security);
  WeightClient client("127.0.0.1:" + std::to_string(server.port()),
                      {"bench", actor_token(kBenchSecret, "bench"), "", ""});
  t0 = now();
  absl::StatusOr<WeightManifest> m = client.manifest();
  ReceiveStats st;
  absl::Status rs = weights_receive(
      *m, [&](int64_t v, int64_t i) { return client.bucket(v, i); }, actor->params.data(), n, 3, &st);
  const double receive_s = now() - t0;
  if (!rs.ok()) {
    std::fprintf(stderr, "%s\n", std::string(rs.message()).c_str());
    return 1;
  }

  // The baseline: a plain memcpy of the same bytes (what shared memory on one host would cost at least).
  std::vector<char> from(static_cast<size_t>(st.bytes), 1), to(static_cast<size_t>(st.bytes), 0);
  std::memcpy(to.data(), from.data(), from.size());  // pages touched before timing
  t0 = now();
  std::memcpy(to.data(), from.data(), from.size());
  const double memcpy_s = now() - t0;
  std::printf("  memcpy of the same bytes (baseline):    %7.3f s  (%.0f MB/s)\n", memcpy_s,
              st.bytes / 1e6 / memcpy_s);
  // An actor on the learner's host: the snapshot mapped from /dev/shm, checked and written the same way.
  if (!m->shm_path.empty()) {
    std::vector<float> dst(static_cast<size_t>(n));
    t0 = now();
    absl::StatusOr<std::unique_ptr<WeightShmReader>> shm = WeightShmReader::open(*m);
    const absl::Status ss = shm.ok() ? weights_receive(
                                           *m, [&](int64_t v, int64_t i) { return (*shm)->bucket(v, i); },
                                           dst.data(), n, 3, nullptr)
                                     : shm.status();
    const double shm_s = now() - t0;
    if (!ss.ok()) std::fprintf(stderr, "shared memory: %s\n", std::string(ss.message()).c_str());
    std::printf(
        "  actor receive through shared memory:    %7.3f s  (%.0f MB/s, %.1fx memcpy's time; checked and "
        "written)\n",
        shm_s, st.bytes / 1e6 / shm_s, shm_s / memcpy_s);
  } else {
    std::printf("  shared memory: not available (%s)\n", pub.shm_error().c_str());
  }
  // The transfer alone: every bucket fetched (no check, no write), by one and by several threads.
  for (int threads : {1, 2, 4}) {
    std::atomic<int64_t> next{0}, bytes{0};
    t0 = now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int64_t i = next++; i < m->buckets; i = next++) {
          auto b = client.bucket(m->version, i);
          if (b.ok()) bytes += static_cast<int64_t>(b->bytes().size());
        }
      });
    }
    for (auto& th : pool) th.join();
    const double s = now() - t0;
    std::printf("  gRPC transfer alone, %d thread(s):        %7.3f s  (%.0f MB/s, %.1fx memcpy's time)\n",
                threads, s, bytes / 1e6 / s, s / memcpy_s);
  }

  GenerateRequest req;
  for (int i = 0; i < 16; ++i) req.prompt.push_back(i + 10);
  req.batch = 16;
  req.max_tokens = 9;
  req.seed = 1;
  auto r = generate_batch(*actor, req);
  if (!r.ok()) return 1;
  const double step_s = r->decode_seconds / 8;  // 8 decode steps after the first token

  // The actor's way: receive into staging while decoding, then swap between two steps.
  std::vector<float> staging(static_cast<size_t>(n));
  double beside_s = 0;
  std::thread recv([&] {
    const double t = now();
    (void)weights_receive(
        *m, [&](int64_t v, int64_t i) { return client.bucket(v, i); }, staging.data(), n, 3, nullptr);
    beside_s = now() - t;
  });
  req.max_tokens = 17;
  auto during = generate_batch(*actor, req);
  recv.join();
  if (!during.ok()) return 1;
  const double step_during_s = during->decode_seconds / 16;
  t0 = now();
  actor->params.swap(staging);
  actor->w = model_weights_bind(actor->cfg, actor->layout, actor->params.data());
  const double swap_s = now() - t0;
  std::printf("%s preset: %.0f M parameters, %.0f MB in bf16, %ld buckets of %ld MB\n", preset.c_str(),
              n / 1e6, st.bytes / 1e6, static_cast<long>(st.buckets), static_cast<long>(bucket_mb));
  std::printf("  learner publish (bf16 + CRC-32):        %7.3f s\n", publish_s);
  std::printf("  actor receive over loopback gRPC:       %7.3f s  (%.0f MB/s, checked and written)\n",
              receive_s, st.bytes / 1e6 / receive_s);
  std::printf("  one decode step, batch 16 (baseline):   %7.3f s\n", step_s);
  std::printf("  receive / decode step:                  %7.1fx\n", receive_s / step_s);
  std::printf(
      "  decode step while receiving beside it:  %7.3f s  (%.2fx the baseline; receive took %.3f s)\n",
      step_during_s, step_during_s / step_s, beside_s);
  std::printf("  swap between two steps:                 %7.1f us = %.2g of a decode step\n", swap_s * 1e6,
              swap_s / step_s);
  return 0;
}
