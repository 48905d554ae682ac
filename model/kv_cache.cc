#include "model/kv_cache.h"

namespace ascent {

KvCache kv_cache_create(const Model& m, int64_t num_slots, int64_t max_len) {
  KvCache c;
  c.num_layers = m.cfg.num_layers;
  c.num_slots = num_slots;
  c.max_len = max_len;
  c.kvd = m.cfg.num_kv_heads * m.cfg.head_dim;
  c.backend = m.backend;
  const int64_t n = c.num_layers * num_slots * max_len * c.kvd;
  c.k.ensure<float>(*c.backend, n);
  c.v.ensure<float>(*c.backend, n);
  return c;
}

void kv_cache_copy_slot(KvCache& c, int64_t src, int64_t dst, int64_t len) {
  const size_t bytes = static_cast<size_t>(len * c.kvd) * 4;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    c.backend->copy(c.k_at(l, dst, 0), c.k_at(l, src, 0), bytes);
    c.backend->copy(c.v_at(l, dst, 0), c.v_at(l, src, 0), bytes);
  }
}

}  // namespace ascent
