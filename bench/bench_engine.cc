// Engine benchmark worker: times our train step (forward + backward + AdamW over a packed batch) on the CPU or
// a GPU (--device cuda: the model and AdamW run there, as the learner's optimiser does, and the new parameters
// are copied to the host arena as the learner does for publishing; the step reports the model part and the
// optimiser part apart) and our batched KV-cache decode on a checkpoint, and
// prints one JSON line. Driven by bench/engine_vs_pytorch.py (CPU) and bench/gpu_learner_bench.py (GPU), which
// time PyTorch / transformers doing the same work in the same run and print the ratios.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "core/memory.h"
#include "core/rng.h"
#include "core/threads.h"
#include "generation/continuous_batcher.h"
#include "generation/generate.h"
#include "model/adamw.h"
#include "model/loss.h"
#include "model/transformer.h"
#include "nlohmann/json.hpp"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ascent engine benchmark worker"};
  std::string model_dir, mode = "train";
  int64_t batch = 4, seq = 256, steps = 5, warmup = 1, prompt = 16, new_tokens = 128;
  int threads = 0;
  bool recompute = false;
  std::string device = "cpu";
  int64_t chunk_mb = 64;
  app.add_option("--model", model_dir)->required();
  app.add_option("--mode", mode, "train | decode | cb_decode");
  app.add_option("--batch", batch);
  app.add_option("--seq", seq, "train: tokens per sequence");
  app.add_option("--steps", steps, "train: timed steps");
  app.add_option("--warmup", warmup, "train: untimed steps first");
  app.add_option("--prompt", prompt, "decode: prompt tokens");
  app.add_option("--new-tokens", new_tokens, "decode: tokens per sequence");
  app.add_option("--threads", threads);
  app.add_flag("--recompute", recompute);
  app.add_option("--device", device, "train: cpu | cuda | cuda:N");
  app.add_option("--chunk-mb", chunk_mb, "train: LM-head logits chunk in MB");
  CLI11_PARSE(app, argc, argv);
  memory_keep_freed_pages();
  threads_set_count(threads);
  auto m = model_load(model_dir);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", std::string(m.status().message()).c_str());
    return 1;
  }
  Rng rng(1);
  nlohmann::json out = {{"mode", mode}, {"threads", threads_get_count()}, {"batch", batch}};
  if (mode == "train") {
    model_grads_enable(*m);
    auto dev = device_parse(device);
    auto backend = dev.ok() ? backend_for(*dev) : absl::StatusOr<Backend*>(dev.status());
    if (!backend.ok()) {
      std::fprintf(stderr, "%s\n", std::string(backend.status().message()).c_str());
      return 1;
    }
    model_to_backend(*m, **backend);
    Backend& be = *m->backend;
    const int64_t n = m->layout.total;
    float* params = be.host_memory() ? m->params.data() : m->device_params.data<float>();
    float* grads = be.host_memory() ? m->grads.data() : m->device_grads.data<float>();
    DeviceBuffer moment1, moment2;  // AdamW's moments where the parameters are (zero-filled)
    float* am = moment1.ensure<float>(be, n);
    float* av = moment2.ensure<float>(be, n);
    LmHeadOptions head;
    head.chunk_bytes = chunk_mb << 20;
    AdamWState opt;  // its step count (the moments live where the parameters are)
    AdamWConfig ac;
    PackedBatch b;
    for (int64_t i = 0; i < batch; ++i) {
      std::vector<int32_t> ids;
      for (int64_t t = 0; t < seq; ++t) ids.push_back(static_cast<int32_t>(rng.next_u64() % 256));
      batch_add_sequence(b, ids);
    }
    double t0 = 0, loss = 0, t_model = 0, t_opt = 0;
    ForwardState st;  // reused across steps, as a learner does
    st.recompute = recompute;
    for (int64_t s = 0; s < warmup + steps; ++s) {
      if (s == warmup) t0 = now(), t_model = t_opt = 0;
      const double ta = now();
      auto lp = model_forward_logprobs(*m, b, &st, head);
      std::vector<float> d;
      loss = loss_sft(*lp, {}, &d);
      model_grads_zero(*m);
      model_backward_logprobs(*m, b, st, d, head);
      be.synchronize();
      const double tb = now();
      const double norm = std::sqrt(be.ops().sum_squares(grads, n));
      if (norm > 1.0) be.ops().scale(grads, n, static_cast<float>(1.0 / (norm + 1e-6)));
      be.ops().adamw_update(params, am, av, grads, n, adamw_scalars(ac, 1e-4, ++opt.step));
      if (!be.host_memory()) be.copy_to_host(m->params.data(), params, static_cast<size_t>(n) * 4);
      be.synchronize();
      t_model += tb - ta, t_opt += now() - tb;
    }
    const double dt = now() - t0;
    out["device"] = device_name(m->backend->device());
    out["model_seconds"] = t_model / steps;
    out["optimizer_seconds"] = t_opt / steps;
    out["peak_device_bytes"] = m->backend->peak_bytes();
    out["seq"] = seq;
    out["step_seconds"] = dt / steps;
    out["tokens_per_second"] = static_cast<double>(batch * seq * steps) / dt;
    out["final_loss"] = loss;
  } else if (mode == "cb_decode") {
    // The actor's continuous batching: `batch` requests (one completion each, own prompt) run together.
    ContinuousBatcher cb(*m, batch, prompt + new_tokens);
    for (int64_t r = 0; r < batch; ++r) {
      GenRequest g;
      g.id = r;
      for (int64_t t = 0; t < prompt; ++t) g.prompt.push_back(static_cast<int32_t>(rng.next_u64() % 256));
      g.max_tokens = new_tokens;
      g.seed = 3 + static_cast<uint64_t>(r);
      if (!cb.submit(g).ok()) return 1;
    }
    const double t0 = now();
    while (!cb.idle()) {
      if (!cb.step().ok()) return 1;
    }
    const double total = now() - t0;
    out["prompt"] = prompt;
    out["new_tokens"] = new_tokens;
    out["seconds"] = total;
    out["tokens_per_second"] = static_cast<double>(batch * new_tokens) / total;
  } else {
    GenerateRequest req;
    for (int64_t t = 0; t < prompt; ++t) req.prompt.push_back(static_cast<int32_t>(rng.next_u64() % 256));
    req.batch = batch;
    req.max_tokens = new_tokens;
    req.seed = 3;  // no stop ids: every sequence produces new_tokens tokens, as the baseline is told to
    auto r = generate_batch(*m, req);
    if (!r.ok()) return 1;
    out["prompt"] = prompt;
    out["new_tokens"] = new_tokens;
    const int64_t produced = batch * new_tokens;
    const double total = r->prefill_seconds + r->decode_seconds;
    out["seconds"] = total;
    out["tokens_per_second"] = produced / total;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
