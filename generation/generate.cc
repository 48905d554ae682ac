#include "generation/generate.h"

#include <algorithm>
#include <chrono>

#include "core/status.h"
#include "model/transformer.h"

namespace ascent {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

absl::StatusOr<GenerateResult> generate_batch(Model& m, const GenerateRequest& req) {
  if (req.prompt.empty()) return absl::InvalidArgumentError("generate: the prompt is empty");
  if (req.batch < 1) return absl::InvalidArgumentError("generate: batch must be >= 1");
  if (req.max_tokens < 1) return absl::InvalidArgumentError("generate: max_tokens must be >= 1");
  const int64_t P = static_cast<int64_t>(req.prompt.size()), B = req.batch, V = m.cfg.vocab_size;
  KvCache cache = kv_cache_create(m, B, P + req.max_tokens);
  std::vector<Rng> rngs;
  for (int64_t b = 0; b < B; ++b)
    rngs.emplace_back(req.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b));
  GenerateResult r;
  r.tokens.resize(B);
  r.logprobs.resize(B);
  std::vector<float> logits(static_cast<size_t>(B * V));

  double t0 = now_seconds();
  PackedBatch prefill;
  prefill.tokens = req.prompt;
  prefill.segments.push_back({P, 0, 0});
  ASCENT_RETURN_IF_ERROR(model_forward_last_logits(m, prefill, cache, logits.data()));
  for (int64_t b = 1; b < B; ++b) kv_cache_copy_slot(cache, 0, b, P);
  std::vector<bool> done(B, false);
  auto take = [&](int64_t b, const float* lg) {
    Sample s = sampler_sample(lg, V, req.sampler, rngs[b]);
    r.tokens[b].push_back(s.token);
    r.logprobs[b].push_back(s.logprob);
    if (std::find(req.stop_ids.begin(), req.stop_ids.end(), s.token) != req.stop_ids.end() ||
        static_cast<int64_t>(r.tokens[b].size()) >= req.max_tokens) {
      done[b] = true;
    }
  };
  for (int64_t b = 0; b < B; ++b) take(b, logits.data());
  r.prefill_seconds = now_seconds() - t0;

  t0 = now_seconds();
  while (true) {
    PackedBatch step;
    std::vector<int64_t> running;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      running.push_back(b);
      step.tokens.push_back(r.tokens[b].back());
      step.segments.push_back({1, P + static_cast<int64_t>(r.tokens[b].size()) - 1, b});
    }
    if (running.empty()) break;
    ASCENT_RETURN_IF_ERROR(model_forward_last_logits(m, step, cache, logits.data()));
    for (size_t i = 0; i < running.size(); ++i) take(running[i], logits.data() + i * V);
    r.decode_tokens += static_cast<int64_t>(running.size());
  }
  r.decode_seconds = now_seconds() - t0;
  return r;
}

}  // namespace ascent
