#include "model/kv_cache.h"

#include <cstring>

namespace ascent {

KvCache kv_cache_create(const ModelConfig& cfg, int64_t num_slots, int64_t max_len) {
  KvCache c;
  c.num_layers = cfg.num_layers;
  c.num_slots = num_slots;
  c.max_len = max_len;
  c.kvd = cfg.num_kv_heads * cfg.head_dim;
  const size_t n = static_cast<size_t>(c.num_layers * num_slots * max_len * c.kvd);
  c.k.assign(n, 0.0f);
  c.v.assign(n, 0.0f);
  return c;
}

void kv_cache_copy_slot(KvCache& c, int64_t src, int64_t dst, int64_t len) {
  for (int64_t l = 0; l < c.num_layers; ++l) {
    std::memcpy(c.k_at(l, dst, 0), c.k_at(l, src, 0), static_cast<size_t>(len * c.kvd) * 4);
    std::memcpy(c.v_at(l, dst, 0), c.v_at(l, src, 0), static_cast<size_t>(len * c.kvd) * 4);
  }
}

}  // namespace ascent
