// Token sampling from float32 logits: temperature, top-k, top-p (nucleus), greedy at temperature 0.
// Returns the token and its log-prob under the distribution actually sampled from (after temperature and the
// top-k/top-p renormalisation), in float32.
#pragma once

#include <cstdint>

#include "core/rng.h"

namespace ascent {

struct SamplerConfig {
  float temperature = 1.0f;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
};

struct Sample {
  int32_t token;
  float logprob;
};

Sample sampler_sample(const float* logits, int64_t V, const SamplerConfig& cfg, Rng& rng);

}  // namespace ascent
