// Batched KV-cache sampling of B completions of one prompt: the prompt is prefilled once and its cache copied
// to every slot, then all running sequences advance one token per decode step. The continuous-batching engine
// of the actor builds on the same model calls.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/sampler.h"
#include "model/model.h"

namespace ascent {

struct GenerateRequest {
  std::vector<int32_t> prompt;
  int64_t batch = 1;
  int64_t max_tokens = 64;
  SamplerConfig sampler;
  uint64_t seed = 0;
  std::vector<int32_t> stop_ids;  // a sampled stop id ends the sequence (and is kept as its last token)
};

struct GenerateResult {
  std::vector<std::vector<int32_t>> tokens;  // per completion
  std::vector<std::vector<float>> logprobs;  // per sampled token, under the sampling distribution
  double prefill_seconds = 0, decode_seconds = 0;
  int64_t decode_tokens = 0;  // tokens produced by decode steps (all sequences)
};

absl::StatusOr<GenerateResult> generate_batch(Model& m, const GenerateRequest& req);

}  // namespace ascent
