// KV cache: keys and values (after RoPE) of every layer for a fixed number of sequence slots.
// Layout [L][slots][max_len][KV*D], float32.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace ascent {

struct KvCache {
  int64_t num_layers = 0, num_slots = 0, max_len = 0, kvd = 0;
  std::vector<float> k, v;
  float* k_at(int64_t l, int64_t slot, int64_t pos) {
    return k.data() + ((l * num_slots + slot) * max_len + pos) * kvd;
  }
  float* v_at(int64_t l, int64_t slot, int64_t pos) {
    return v.data() + ((l * num_slots + slot) * max_len + pos) * kvd;
  }
};

KvCache kv_cache_create(const ModelConfig& cfg, int64_t num_slots, int64_t max_len);
// Copies positions [0, len) of slot src to slot dst in every layer (G completions share one prompt prefill).
void kv_cache_copy_slot(KvCache& c, int64_t src, int64_t dst, int64_t len);

}  // namespace ascent
