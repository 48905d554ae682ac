// Parameter layout: every parameter of a config, by its Hugging Face name, at an offset in one flat float32
// arena. Parameters, gradients and AdamW moments share this layout, so the optimiser and gradient clipping
// are single loops. Shape key: C hidden, F intermediate, H heads, KV kv heads, D head dim, V vocab.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/config.h"

namespace ascent {

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  int64_t numel = 0;
};

struct ParamLayout {
  std::vector<ParamInfo> params;
  std::unordered_map<std::string, size_t> index;
  int64_t total = 0;
};

ParamLayout param_layout_build(const ModelConfig& cfg);

struct LayerWeights {
  float* in_norm = nullptr;  // [C]
  float* q = nullptr;        // [H*D, C]
  float* q_b = nullptr;      // [H*D] or null
  float* k = nullptr;        // [KV*D, C]
  float* k_b = nullptr;
  float* v = nullptr;  // [KV*D, C]
  float* v_b = nullptr;
  float* o = nullptr;       // [C, H*D]
  float* o_b = nullptr;     // [C] or null
  float* q_norm = nullptr;  // [D] (Qwen3) or null
  float* k_norm = nullptr;
  float* post_norm = nullptr;  // [C]
  float* gate = nullptr;       // [F, C]
  float* up = nullptr;         // [F, C]
  float* down = nullptr;       // [C, F]
};

struct ModelWeights {
  float* embed = nullptr;  // [V, C]
  std::vector<LayerWeights> layers;
  float* final_norm = nullptr;  // [C]
  float* lm_head = nullptr;     // [V, C]; equals embed when tied; null for a reward model
  float* score = nullptr;       // [num_labels, C]; reward models only
};

// Views into an arena laid out by `layout` (parameters or gradients alike).
ModelWeights model_weights_bind(const ModelConfig& cfg, const ParamLayout& layout, float* base);

}  // namespace ascent
