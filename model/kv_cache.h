// KV cache: keys and values (after RoPE) of every layer for a fixed number of sequence slots, in the memory of
// the model's backend. Layout [L][slots][max_len][KV*D], float32.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "model/backend.h"
#include "model/model.h"

namespace ascent {

struct KvCache {
  int64_t num_layers = 0, num_slots = 0, max_len = 0, kvd = 0;
  Backend* backend = nullptr;
  DeviceBuffer k, v;
  float* k_at(int64_t l, int64_t slot, int64_t pos) {
    return k.data<float>() + ((l * num_slots + slot) * max_len + pos) * kvd;
  }
  float* v_at(int64_t l, int64_t slot, int64_t pos) {
    return v.data<float>() + ((l * num_slots + slot) * max_len + pos) * kvd;
  }
};

// A zeroed cache for m's shapes on m's backend.
KvCache kv_cache_create(const Model& m, int64_t num_slots, int64_t max_len);
// Bytes of that cache (keys and values, float32), computed without overflow (saturating at INT64_MAX).
int64_t kv_cache_bytes(const ModelConfig& cfg, int64_t num_slots, int64_t max_len);
// Sizes before allocation: ResourceExhausted when the cache would not fit in this machine's physical memory
// (a recipe's slots or max_tokens far too large), with `what` naming the settings; checked where the recipe's
// settings become a cache (generation/generation_config.h, learner/validation.h).
absl::Status kv_cache_check_fits(const ModelConfig& cfg, int64_t num_slots, int64_t max_len,
                                 const std::string& what);
// Copies positions [0, len) of slot src to slot dst in every layer (G completions share one prompt prefill).
void kv_cache_copy_slot(KvCache& c, int64_t src, int64_t dst, int64_t len);

}  // namespace ascent
