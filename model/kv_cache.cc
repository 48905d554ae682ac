#include "model/kv_cache.h"

#include <unistd.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace ascent {

int64_t kv_cache_bytes(const ModelConfig& cfg, int64_t num_slots, int64_t max_len) {
  int64_t n = 2 * 4;  // keys and values, float32
  for (int64_t f : {cfg.num_layers, num_slots, max_len, cfg.num_kv_heads * cfg.head_dim}) {
    if (f <= 0) return 0;
    if (n > std::numeric_limits<int64_t>::max() / f) return std::numeric_limits<int64_t>::max();
    n *= f;
  }
  return n;
}

absl::Status kv_cache_check_fits(const ModelConfig& cfg, int64_t num_slots, int64_t max_len,
                                 const std::string& what) {
  const int64_t bytes = kv_cache_bytes(cfg, num_slots, max_len);
  const int64_t physical = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  if (physical > 0 && bytes > physical) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": a KV cache of ", num_slots, " slots x ", max_len, " positions needs ",
                     bytes >> 20, " MiB, more than this machine's ", physical >> 20, " MiB of memory"));
  }
  return absl::OkStatus();
}

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
