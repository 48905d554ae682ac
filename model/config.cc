#include "model/config.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"
#include "core/status.h"

namespace ascent {

using nlohmann::json;

const char* model_arch_name(ModelArch arch) {
  switch (arch) {
    case ModelArch::kLlama:
      return "llama";
    case ModelArch::kQwen2:
      return "qwen2";
    case ModelArch::kQwen3:
      return "qwen3";
  }
  return "?";
}

absl::StatusOr<ModelArch> model_arch_parse(const std::string& name) {
  if (name == "llama") return ModelArch::kLlama;
  if (name == "qwen2") return ModelArch::kQwen2;
  if (name == "qwen3") return ModelArch::kQwen3;
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported model_type/arch '", name, "' (supported: llama, qwen2, qwen3)"));
}

namespace {

absl::Status field_error(const std::string& source, const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": field '", field, "': ", what));
}

absl::StatusOr<int64_t> get_int(const json& j, const std::string& source, const std::string& key,
                                bool required, int64_t dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return field_error(source, key, "missing (required)");
    return dflt;
  }
  if (!it->is_number_integer()) return field_error(source, key, "expected an integer, got " + it->dump());
  int64_t v = it->get<int64_t>();
  return v;
}

absl::StatusOr<double> get_num(const json& j, const std::string& source, const std::string& key,
                               double dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_number()) return field_error(source, key, "expected a number, got " + it->dump());
  return it->get<double>();
}

absl::StatusOr<bool> get_bool(const json& j, const std::string& source, const std::string& key, bool dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) return field_error(source, key, "expected true/false, got " + it->dump());
  return it->get<bool>();
}

absl::Status parse_rope(const json& j, const std::string& source, ModelConfig& cfg) {
  // v5: rope_parameters {rope_type, rope_theta, factor, ...}; v4: rope_theta + rope_scaling {type|rope_type,
  // ...}.
  const json* params = nullptr;
  std::string params_key;
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    params = &j["rope_parameters"];
    params_key = "rope_parameters";
  } else if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    params = &j["rope_scaling"];
    params_key = "rope_scaling";
  }
  ASCENT_ASSIGN_OR_RETURN(cfg.rope.theta, get_num(j, source, "rope_theta", 10000.0));
  if (params == nullptr) return absl::OkStatus();
  const std::string pre = params_key + ".";
  if (params->contains("rope_theta")) {
    ASCENT_ASSIGN_OR_RETURN(cfg.rope.theta,
                            get_num(*params, source + " " + pre, "rope_theta", cfg.rope.theta));
  }
  std::string type = "default";
  for (const char* key : {"type", "rope_type"}) {  // rope_type wins when both are there
    auto it = params->find(key);
    if (it == params->end() || it->is_null()) continue;
    if (!it->is_string()) return field_error(source, pre + key, "expected a string, got " + it->dump());
    type = it->get<std::string>();
  }
  if (type != "default" && type != "linear" && type != "llama3") {
    return field_error(source, pre + "rope_type",
                       "'" + type + "' is not supported (supported: default, linear, llama3)");
  }
  cfg.rope.type = type;
  const std::string src = source + " " + params_key;
  ASCENT_ASSIGN_OR_RETURN(cfg.rope.factor, get_num(*params, src, "factor", 1.0));
  ASCENT_ASSIGN_OR_RETURN(cfg.rope.low_freq_factor, get_num(*params, src, "low_freq_factor", 1.0));
  ASCENT_ASSIGN_OR_RETURN(cfg.rope.high_freq_factor, get_num(*params, src, "high_freq_factor", 4.0));
  ASCENT_ASSIGN_OR_RETURN(cfg.rope.original_max_position_embeddings,
                          get_int(*params, src, "original_max_position_embeddings", false, 8192));
  if (type != "default" && !(cfg.rope.factor > 0 && std::isfinite(cfg.rope.factor)))
    return field_error(source, pre + "factor", "must be a finite number > 0");
  if (type == "llama3") {
    if (!(cfg.rope.low_freq_factor > 0 && cfg.rope.high_freq_factor > cfg.rope.low_freq_factor &&
          std::isfinite(cfg.rope.high_freq_factor)))
      return field_error(source, pre + "high_freq_factor",
                         "llama3 needs 0 < low_freq_factor < high_freq_factor");
    if (cfg.rope.original_max_position_embeddings <= 0)
      return field_error(source, pre + "original_max_position_embeddings", "must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelConfig> model_config_parse(const std::string& text, const std::string& source) {
  if (!json_depth_ok(text)) return absl::InvalidArgumentError(source + ": nests too deep");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(source + ": not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError(source + ": expected a JSON object");
  ModelConfig cfg;
  if (!j.contains("model_type") || !j["model_type"].is_string()) {
    return field_error(source, "model_type", "missing (required: llama, qwen2 or qwen3)");
  }
  auto arch = model_arch_parse(j["model_type"].get<std::string>());
  if (!arch.ok()) return field_error(source, "model_type", std::string(arch.status().message()));
  cfg.arch = *arch;
  ASCENT_ASSIGN_OR_RETURN(cfg.vocab_size, get_int(j, source, "vocab_size", true, 0));
  ASCENT_ASSIGN_OR_RETURN(cfg.hidden_size, get_int(j, source, "hidden_size", true, 0));
  ASCENT_ASSIGN_OR_RETURN(cfg.intermediate_size, get_int(j, source, "intermediate_size", true, 0));
  ASCENT_ASSIGN_OR_RETURN(cfg.num_layers, get_int(j, source, "num_hidden_layers", true, 0));
  ASCENT_ASSIGN_OR_RETURN(cfg.num_heads, get_int(j, source, "num_attention_heads", true, 0));
  ASCENT_ASSIGN_OR_RETURN(cfg.num_kv_heads, get_int(j, source, "num_key_value_heads", false, cfg.num_heads));
  for (auto [key, v] : {std::pair<const char*, int64_t>{"vocab_size", cfg.vocab_size},
                        {"hidden_size", cfg.hidden_size},
                        {"intermediate_size", cfg.intermediate_size},
                        {"num_hidden_layers", cfg.num_layers},
                        {"num_attention_heads", cfg.num_heads},
                        {"num_key_value_heads", cfg.num_kv_heads}}) {
    if (v <= 0) return field_error(source, key, "must be > 0, got " + std::to_string(v));
  }
  // Upper bounds far above any released model of these families (vocabularies reach 262k, hidden sizes 16k,
  // depths 126), so that the layout's arithmetic cannot overflow and nothing is allocated from a typo.
  for (auto [key, v, most] :
       {std::tuple<const char*, int64_t, int64_t>{"vocab_size", cfg.vocab_size, 1 << 22},
        {"hidden_size", cfg.hidden_size, 1 << 16},
        {"intermediate_size", cfg.intermediate_size, 1 << 18},
        {"num_hidden_layers", cfg.num_layers, 1024},
        {"num_attention_heads", cfg.num_heads, 1024},
        {"num_key_value_heads", cfg.num_kv_heads, 1024}}) {
    if (v > most)
      return field_error(source, key, absl::StrCat("must be <= ", most, " (a bound of ascent's), got ", v));
  }
  if (cfg.num_heads % cfg.num_kv_heads != 0) {
    return field_error(source, "num_key_value_heads", "must divide num_attention_heads");
  }
  int64_t dflt_head_dim = cfg.hidden_size / cfg.num_heads;
  ASCENT_ASSIGN_OR_RETURN(cfg.head_dim, get_int(j, source, "head_dim", false, dflt_head_dim));
  if (cfg.head_dim <= 0 || cfg.head_dim % 2 != 0 || cfg.head_dim > 1024)
    return field_error(source, "head_dim", "must be even, > 0 and <= 1024");
  ASCENT_ASSIGN_OR_RETURN(cfg.max_position_embeddings,
                          get_int(j, source, "max_position_embeddings", false, 32768));
  if (cfg.max_position_embeddings <= 0 || cfg.max_position_embeddings > (int64_t{1} << 24))
    return field_error(source, "max_position_embeddings", "must be > 0 and <= 16777216");
  ASCENT_ASSIGN_OR_RETURN(cfg.rms_norm_eps, get_num(j, source, "rms_norm_eps", 1e-6));
  ASCENT_ASSIGN_OR_RETURN(cfg.initializer_range, get_num(j, source, "initializer_range", 0.02));
  ASCENT_RETURN_IF_ERROR(parse_rope(j, source, cfg));
  // Values that would make every output NaN or Inf with no error: refused here, naming the field.
  if (!(cfg.rms_norm_eps > 0 && std::isfinite(cfg.rms_norm_eps)))
    return field_error(source, "rms_norm_eps", "must be a finite number > 0");
  if (!(cfg.rope.theta > 1 && std::isfinite(cfg.rope.theta)))
    return field_error(source, "rope_theta", "must be a finite number > 1");
  if (!std::isfinite(cfg.initializer_range) || cfg.initializer_range < 0)
    return field_error(source, "initializer_range", "must be a finite number >= 0");
  ASCENT_ASSIGN_OR_RETURN(cfg.tie_word_embeddings, get_bool(j, source, "tie_word_embeddings", false));
  ASCENT_ASSIGN_OR_RETURN(bool attention_bias, get_bool(j, source, "attention_bias", false));
  cfg.qkv_bias = cfg.arch == ModelArch::kQwen2 ? true : attention_bias;
  cfg.o_bias = cfg.arch == ModelArch::kQwen2 ? false : attention_bias;
  cfg.qk_norm = cfg.arch == ModelArch::kQwen3;
  ASCENT_ASSIGN_OR_RETURN(bool sliding, get_bool(j, source, "use_sliding_window", false));
  if (sliding)
    return field_error(source, "use_sliding_window", "true is not supported (full attention only)");
  if (cfg.arch == ModelArch::kLlama) {
    ASCENT_ASSIGN_OR_RETURN(bool mlp_bias, get_bool(j, source, "mlp_bias", false));
    if (mlp_bias) return field_error(source, "mlp_bias", "true is not supported");
  }
  ASCENT_ASSIGN_OR_RETURN(cfg.bos_token_id, get_int(j, source, "bos_token_id", false, -1));
  if (j.contains("eos_token_id") && !j["eos_token_id"].is_null()) {
    const json& e = j["eos_token_id"];
    if (e.is_number_integer())
      cfg.eos_token_ids.push_back(e.get<int64_t>());
    else if (e.is_array()) {
      for (const auto& x : e) {
        if (!x.is_number_integer()) return field_error(source, "eos_token_id", "expected integers");
        cfg.eos_token_ids.push_back(x.get<int64_t>());
      }
    } else {
      return field_error(source, "eos_token_id", "expected an integer or a list of integers");
    }
  }
  ASCENT_ASSIGN_OR_RETURN(cfg.pad_token_id, get_int(j, source, "pad_token_id", false, -1));
  // A reward model: architectures[0] is *ForSequenceClassification. transformers takes num_labels from
  // id2label (default 2); reward models have one label.
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string()) {
    const std::string a = j["architectures"][0].get<std::string>();
    const std::string suffix = "ForSequenceClassification";
    if (a.size() > suffix.size() && a.compare(a.size() - suffix.size(), suffix.size(), suffix) == 0) {
      cfg.num_labels = 2;
      if (j.contains("id2label") && j["id2label"].is_object())
        cfg.num_labels = static_cast<int64_t>(j["id2label"].size());
      ASCENT_ASSIGN_OR_RETURN(cfg.num_labels, get_int(j, source, "num_labels", false, cfg.num_labels));
      if (cfg.num_labels <= 0)
        return field_error(source, "id2label", "a classifier needs at least one label");
    }
  }
  for (const char* key : {"dtype", "torch_dtype"}) {  // v5 writes dtype, v4 torch_dtype
    if (j.contains(key) && j[key].is_string()) {
      cfg.torch_dtype = j[key].get<std::string>();
      break;
    }
  }
  return cfg;
}

absl::StatusOr<ModelConfig> model_config_load(const std::string& path) {
  std::ifstream f(path);
  if (!f) return ascent_errno_error("open", path);
  std::stringstream ss;
  ss << f.rdbuf();
  return model_config_parse(ss.str(), path);
}

json model_config_to_json(const ModelConfig& cfg) {
  json j;
  const char* arch_class = cfg.arch == ModelArch::kLlama   ? "LlamaForCausalLM"
                           : cfg.arch == ModelArch::kQwen2 ? "Qwen2ForCausalLM"
                                                           : "Qwen3ForCausalLM";
  j["architectures"] = {arch_class};
  if (cfg.num_labels > 0) {
    std::string cls = arch_class;
    cls.replace(cls.find("ForCausalLM"), 11, "ForSequenceClassification");
    j["architectures"] = {cls};
    json id2label = json::object(), label2id = json::object();
    for (int64_t k = 0; k < cfg.num_labels; ++k) {
      id2label[std::to_string(k)] = "LABEL_" + std::to_string(k);
      label2id["LABEL_" + std::to_string(k)] = k;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
  }
  if (cfg.pad_token_id >= 0) j["pad_token_id"] = cfg.pad_token_id;
  j["model_type"] = model_arch_name(cfg.arch);
  j["vocab_size"] = cfg.vocab_size;
  j["hidden_size"] = cfg.hidden_size;
  j["intermediate_size"] = cfg.intermediate_size;
  j["num_hidden_layers"] = cfg.num_layers;
  j["num_attention_heads"] = cfg.num_heads;
  j["num_key_value_heads"] = cfg.num_kv_heads;
  j["head_dim"] = cfg.head_dim;
  j["max_position_embeddings"] = cfg.max_position_embeddings;
  j["rms_norm_eps"] = cfg.rms_norm_eps;
  j["rope_theta"] = cfg.rope.theta;
  if (cfg.rope.type != "default") {
    json s = {{"rope_type", cfg.rope.type}, {"factor", cfg.rope.factor}};
    if (cfg.rope.type == "llama3") {
      s["low_freq_factor"] = cfg.rope.low_freq_factor;
      s["high_freq_factor"] = cfg.rope.high_freq_factor;
      s["original_max_position_embeddings"] = cfg.rope.original_max_position_embeddings;
    }
    j["rope_scaling"] = s;
  }
  j["tie_word_embeddings"] = cfg.tie_word_embeddings;
  if (cfg.arch != ModelArch::kQwen2) j["attention_bias"] = cfg.qkv_bias;
  j["hidden_act"] = "silu";
  j["initializer_range"] = cfg.initializer_range;
  j["torch_dtype"] = cfg.torch_dtype;
  j["use_cache"] = true;
  if (cfg.bos_token_id >= 0) j["bos_token_id"] = cfg.bos_token_id;
  if (cfg.eos_token_ids.size() == 1)
    j["eos_token_id"] = cfg.eos_token_ids[0];
  else if (!cfg.eos_token_ids.empty())
    j["eos_token_id"] = cfg.eos_token_ids;
  return j;
}

absl::StatusOr<ModelConfig> model_config_preset(ModelArch arch, const std::string& preset,
                                                int64_t vocab_size) {
  ModelConfig c;
  c.arch = arch;
  if (preset == "tiny") {  // ~1.0M parameters with a 320-token vocabulary
    c.hidden_size = 128, c.intermediate_size = 512, c.num_layers = 4, c.num_heads = 4, c.num_kv_heads = 2;
    c.vocab_size = 320, c.max_position_embeddings = 4096, c.rope.theta = 10000.0;
  } else if (preset == "small") {  // ~25M parameters
    c.hidden_size = 512, c.intermediate_size = 1536, c.num_layers = 8, c.num_heads = 8, c.num_kv_heads = 4;
    c.vocab_size = 320, c.max_position_embeddings = 8192, c.rope.theta = 10000.0;
  } else if (preset == "0.5b") {  // Qwen2.5-0.5B shape
    c.hidden_size = 896, c.intermediate_size = 4864, c.num_layers = 24, c.num_heads = 14, c.num_kv_heads = 2;
    c.vocab_size = 151936, c.max_position_embeddings = 32768, c.rope.theta = 1000000.0;
  } else if (preset == "1.5b") {  // Qwen2.5-1.5B shape
    c.hidden_size = 1536, c.intermediate_size = 8960, c.num_layers = 28, c.num_heads = 12, c.num_kv_heads = 2;
    c.vocab_size = 151936, c.max_position_embeddings = 32768, c.rope.theta = 1000000.0;
  } else {
    return absl::InvalidArgumentError("unknown preset '" + preset + "' (tiny, small, 0.5b, 1.5b)");
  }
  if (vocab_size > 0) c.vocab_size = vocab_size;
  c.head_dim = c.hidden_size / c.num_heads;
  c.tie_word_embeddings = arch != ModelArch::kLlama;
  c.qkv_bias = arch == ModelArch::kQwen2;
  c.qk_norm = arch == ModelArch::kQwen3;
  c.rms_norm_eps = 1e-6;
  // The byte-level tokenizer's special tokens (model/byte_tokenizer.h).
  c.bos_token_id = 257;
  c.eos_token_ids = {256};
  return c;
}

std::vector<float> model_config_rope_inv_freq(const ModelConfig& cfg) {
  const int64_t half = cfg.head_dim / 2;
  std::vector<float> inv(half);
  for (int64_t i = 0; i < half; ++i) {
    // transformers: 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), in float32.
    float expo = static_cast<float>(2 * i) / static_cast<float>(cfg.head_dim);
    inv[i] = 1.0f / std::pow(static_cast<float>(cfg.rope.theta), expo);
  }
  if (cfg.rope.type == "linear") {
    for (auto& f : inv) f = f / static_cast<float>(cfg.rope.factor);
  } else if (cfg.rope.type == "llama3") {
    const float factor = static_cast<float>(cfg.rope.factor);
    const float lo = static_cast<float>(cfg.rope.low_freq_factor);
    const float hi = static_cast<float>(cfg.rope.high_freq_factor);
    const float old_ctx = static_cast<float>(cfg.rope.original_max_position_embeddings);
    const float low_freq_wavelen = old_ctx / lo;
    const float high_freq_wavelen = old_ctx / hi;
    for (auto& f : inv) {
      float wavelen = 2.0f * static_cast<float>(M_PI) / f;
      float scaled = wavelen > low_freq_wavelen ? f / factor : f;
      bool medium = !(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen);
      if (medium) {
        float smooth = (old_ctx / wavelen - lo) / (hi - lo);
        scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
      }
      f = scaled;
    }
  }
  return inv;
}

int64_t model_config_num_params(const ModelConfig& c) {
  const int64_t C = c.hidden_size, D = c.head_dim, H = c.num_heads, KV = c.num_kv_heads,
                F = c.intermediate_size;
  int64_t layer = 2 * C + C * H * D + 2 * C * KV * D + H * D * C + 3 * C * F;
  if (c.qkv_bias) layer += H * D + 2 * KV * D;
  if (c.o_bias) layer += C;
  if (c.qk_norm) layer += 2 * D;
  int64_t total = c.num_layers * layer + c.vocab_size * C + C;
  if (!c.tie_word_embeddings) total += c.vocab_size * C;
  return total;
}

}  // namespace ascent
