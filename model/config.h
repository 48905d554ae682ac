// ModelConfig: the subset of a Hugging Face config.json that defines a Llama-3 / Qwen2 / Qwen3 decoder, read
// from either the transformers v4 layout (rope_theta, rope_scaling) or the v5 layout (rope_parameters).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

enum class ModelArch { kLlama, kQwen2, kQwen3 };

struct RopeConfig {
  double theta = 10000.0;
  std::string type = "default";                     // default | linear | llama3
  double factor = 1.0;                              // linear, llama3
  double low_freq_factor = 1.0;                     // llama3
  double high_freq_factor = 4.0;                    // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct ModelConfig {
  ModelArch arch = ModelArch::kQwen2;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // C
  int64_t intermediate_size = 0;  // F
  int64_t num_layers = 0;         // L
  int64_t num_heads = 0;          // H
  int64_t num_kv_heads = 0;       // KV
  int64_t head_dim = 0;           // D
  int64_t max_position_embeddings = 32768;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // Qwen2 always; Llama/Qwen3 when attention_bias
  bool o_bias = false;    // Llama/Qwen3 when attention_bias
  bool qk_norm = false;   // Qwen3
  int64_t bos_token_id = -1;
  std::vector<int64_t> eos_token_ids;
  std::string torch_dtype = "float32";
  // Sequence classification (a reward model, *ForSequenceClassification with `score.weight`): num_labels > 0
  // replaces the LM head by a [num_labels, C] score head read at each sequence's last non-pad token.
  int64_t num_labels = 0;
  int64_t pad_token_id = -1;
  double initializer_range = 0.02;
};

const char* model_arch_name(ModelArch arch);
absl::StatusOr<ModelArch> model_arch_parse(const std::string& name);

// Parses config.json text; `source` (the file path) prefixes every error, with the offending field.
absl::StatusOr<ModelConfig> model_config_parse(const std::string& text, const std::string& source);
absl::StatusOr<ModelConfig> model_config_load(const std::string& path);
// Writes the transformers v4 layout (which v5 still reads), with model_type and architectures for the family.
nlohmann::json model_config_to_json(const ModelConfig& cfg);

// Presets for `ascent init-model`: tiny (~1M parameters), small (~25M), 0.5b and 1.5b (Qwen2.5-0.5B and
// -1.5B shapes).
absl::StatusOr<ModelConfig> model_config_preset(ModelArch arch, const std::string& preset,
                                                int64_t vocab_size);

// RoPE inverse frequencies [D/2], computed in float32 exactly as transformers does (incl. llama3 scaling).
std::vector<float> model_config_rope_inv_freq(const ModelConfig& cfg);
int64_t model_config_num_params(const ModelConfig& cfg);

}  // namespace ascent
