#include "model/lora.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_write.h"
#include "core/rng.h"
#include "model/safetensors.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string key_a(const LoraTarget& t) {
  return "base_model.model." + t.module + ".lora_A.weight";
}
std::string key_b(const LoraTarget& t) {
  return "base_model.model." + t.module + ".lora_B.weight";
}

// The targets of cfg in m, with space for the adapters (zero) and W0 copied from m.params.
absl::StatusOr<LoraAdapters> lora_layout(const Model& m, const LoraConfig& cfg) {
  if (cfg.rank < 1) return absl::InvalidArgumentError(absl::StrCat("LoRA rank must be >= 1, got ", cfg.rank));
  if (!(cfg.alpha > 0))
    return absl::InvalidArgumentError(absl::StrCat("LoRA alpha must be > 0, got ", cfg.alpha));
  for (const std::string& t : cfg.target_modules) {
    if (!lora_target_known(t)) {
      return absl::InvalidArgumentError(absl::StrCat("LoRA target module '", t, "' is not one of ",
                                                     absl::StrJoin(lora_linear_modules(), ", ")));
    }
  }
  LoraAdapters a;
  a.cfg = cfg;
  int64_t n = 0, nb = 0;
  for (const ParamInfo& p : m.layout.params) {
    if (p.shape.size() != 2 || p.name.rfind("model.layers.", 0) != 0) continue;
    const std::string suffix = ".weight";
    if (p.name.size() <= suffix.size() ||
        p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix))
      continue;
    const std::string module = p.name.substr(0, p.name.size() - suffix.size());
    // PEFT's rule: a target names the module, or the end of its name after a dot.
    bool hit = false;
    for (const std::string& tm : cfg.target_modules) {
      hit = hit || module == tm ||
            (module.size() > tm.size() && module.compare(module.size() - tm.size(), tm.size(), tm) == 0 &&
             module[module.size() - tm.size() - 1] == '.');
    }
    if (!hit) continue;
    LoraTarget t;
    t.module = module;
    t.base_offset = p.offset;
    t.out = p.shape[0], t.in = p.shape[1];
    t.a_offset = n;
    t.b_offset = n + cfg.rank * t.in;
    n += cfg.rank * (t.in + t.out);
    t.w0_offset = nb;
    nb += t.out * t.in;
    a.targets.push_back(t);
  }
  if (a.targets.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("LoRA: no weight of the model matches the target modules ",
                                                   absl::StrJoin(cfg.target_modules, ", ")));
  }
  a.params.assign(static_cast<size_t>(n), 0.0f);
  a.base.resize(static_cast<size_t>(nb));
  for (const LoraTarget& t : a.targets)
    std::copy_n(m.params.data() + t.base_offset, t.out * t.in, a.base.data() + t.w0_offset);
  return a;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

double LoraConfig::scale() const {
  return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

const std::vector<std::string>& lora_linear_modules() {
  static const std::vector<std::string> k = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                             "gate_proj", "up_proj", "down_proj"};
  return k;
}

bool lora_target_known(const std::string& target) {
  const size_t dot = target.rfind('.');
  const std::string last = dot == std::string::npos ? target : target.substr(dot + 1);
  const std::vector<std::string>& known = lora_linear_modules();
  return std::find(known.begin(), known.end(), last) != known.end();
}

absl::StatusOr<LoraAdapters> lora_create(const Model& m, const LoraConfig& cfg, uint64_t seed) {
  absl::StatusOr<LoraAdapters> a = lora_layout(m, cfg);
  if (!a.ok()) return a.status();
  Rng rng(seed);
  for (const LoraTarget& t : a->targets) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(t.in));
    float* A = a->params.data() + t.a_offset;
    for (int64_t i = 0; i < cfg.rank * t.in; ++i)
      A[i] = static_cast<float>((2 * rng.next_uniform() - 1) * bound);
  }
  return a;
}

void lora_merge(const LoraAdapters& a, float* params) {
  const int64_t r = a.cfg.rank;
  const float s = static_cast<float>(a.cfg.scale());
  for (const LoraTarget& t : a.targets) {
    const float* A = a.params.data() + t.a_offset;
    const float* B = a.params.data() + t.b_offset;
    const float* W0 = a.base.data() + t.w0_offset;
    float* W = params + t.base_offset;
#pragma omp parallel for schedule(static) if (t.out * t.in * r >= (1 << 16))
    for (int64_t o = 0; o < t.out; ++o) {
      float* row = W + o * t.in;
      std::copy_n(W0 + o * t.in, t.in, row);
      for (int64_t k = 0; k < r; ++k) {
        const float c = s * B[o * r + k];
        const float* ak = A + k * t.in;
        for (int64_t i = 0; i < t.in; ++i) row[i] += c * ak[i];
      }
    }
  }
}

void lora_project_grads(const LoraAdapters& a, const float* dw, float* grads) {
  const int64_t r = a.cfg.rank;
  const double s = a.cfg.scale();
  for (const LoraTarget& t : a.targets) {
    const float* A = a.params.data() + t.a_offset;
    const float* B = a.params.data() + t.b_offset;
    const float* dW = dw + t.base_offset;
    float* dA = grads + t.a_offset;
    float* dB = grads + t.b_offset;
    // dA[k, :] = s * sum_o B[o, k] dW[o, :]
#pragma omp parallel for schedule(static) if (t.out * t.in * r >= (1 << 16))
    for (int64_t k = 0; k < r; ++k) {
      std::vector<double> acc(static_cast<size_t>(t.in), 0.0);
      for (int64_t o = 0; o < t.out; ++o) {
        const double c = B[o * r + k];
        if (c == 0.0) continue;
        const float* g = dW + o * t.in;
        for (int64_t i = 0; i < t.in; ++i) acc[i] += c * g[i];
      }
      for (int64_t i = 0; i < t.in; ++i) dA[k * t.in + i] = static_cast<float>(s * acc[i]);
    }
    // dB[o, k] = s * dW[o, :] . A[k, :]
#pragma omp parallel for schedule(static) if (t.out * t.in * r >= (1 << 16))
    for (int64_t o = 0; o < t.out; ++o) {
      const float* g = dW + o * t.in;
      for (int64_t k = 0; k < r; ++k) {
        const float* ak = A + k * t.in;
        double d = 0.0;
        for (int64_t i = 0; i < t.in; ++i) d += static_cast<double>(g[i]) * ak[i];
        dB[o * r + k] = static_cast<float>(s * d);
      }
    }
  }
}

std::string lora_base_fingerprint(const LoraAdapters& a) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64-bit
  const auto* p = reinterpret_cast<const unsigned char*>(a.base.data());
  for (size_t i = 0, n = a.base.size() * sizeof(float); i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

absl::Status lora_save_peft(const LoraAdapters& a, const std::string& dir, const std::string& base_model) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));
  json cfg = {{"peft_type", "LORA"},
              {"task_type", "CAUSAL_LM"},
              {"r", a.cfg.rank},
              {"lora_alpha", a.cfg.alpha},
              {"lora_dropout", 0.0},
              {"use_rslora", a.cfg.rslora},
              {"target_modules", a.cfg.target_modules},
              {"bias", "none"},
              {"fan_in_fan_out", false},
              {"inference_mode", true},
              {"init_lora_weights", true},
              {"use_dora", false},
              {"modules_to_save", nullptr},
              {"rank_pattern", json::object()},
              {"alpha_pattern", json::object()},
              {"base_model_name_or_path", base_model}};
  std::vector<SafetensorsTensor> tensors;
  for (const LoraTarget& t : a.targets) {
    tensors.push_back({key_a(t), DType::kF32, {a.cfg.rank, t.in}, a.params.data() + t.a_offset});
    tensors.push_back({key_b(t), DType::kF32, {t.out, a.cfg.rank}, a.params.data() + t.b_offset});
  }
  absl::Status st =
      safetensors_write((fs::path(dir) / "adapter_model.safetensors").string(), tensors, {{"format", "pt"}});
  if (!st.ok()) return st;
  return file_write_atomic((fs::path(dir) / "adapter_config.json").string(), cfg.dump(2) + "\n");
}

namespace {

absl::StatusOr<LoraConfig> peft_config_read(const std::string& path) {
  if (!fs::exists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  const json j = json::parse(read_text(path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  auto bad = [&](const std::string& key, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key, ": ", why));
  };
  if (j.value("peft_type", std::string()) != "LORA") return bad("peft_type", "must be LORA");
  LoraConfig c;
  if (!j.contains("r") || !j["r"].is_number_integer()) return bad("r", "an integer is required");
  c.rank = j["r"].get<int64_t>();
  if (!j.contains("lora_alpha") || !j["lora_alpha"].is_number())
    return bad("lora_alpha", "a number is required");
  c.alpha = j["lora_alpha"].get<double>();
  if (j.contains("use_rslora") && j["use_rslora"].is_boolean()) c.rslora = j["use_rslora"].get<bool>();
  if (j.contains("lora_dropout") && j["lora_dropout"].is_number() && j["lora_dropout"].get<double>() > 0)
    return bad("lora_dropout", "must be 0 (ascent merges the adapters into the weights)");
  auto is_true = [&](const char* k) { return j.contains(k) && j[k].is_boolean() && j[k].get<bool>(); };
  auto is_set = [&](const char* k) {
    return j.contains(k) && !j[k].is_null() && !(j[k].is_boolean() && !j[k].get<bool>()) &&
           !((j[k].is_object() || j[k].is_array()) && j[k].empty());
  };
  if (is_true("use_dora")) return bad("use_dora", "DoRA is not supported");
  if (j.contains("bias") && !(j["bias"].is_string() && j["bias"].get<std::string>() == "none"))
    return bad("bias", "only \"none\" is supported");
  if (is_true("fan_in_fan_out")) return bad("fan_in_fan_out", "must be false");
  if (is_true("lora_bias")) return bad("lora_bias", "LoRA biases are not supported");
  if (is_true("use_qalora")) return bad("use_qalora", "QALoRA is not supported");
  // An init that rewrites the base model (PiSSA, OLoRA, CorDA, EVA, LoftQ): merging into the original base
  // would give another model.
  if (j.contains("init_lora_weights") && j["init_lora_weights"].is_string() &&
      j["init_lora_weights"].get<std::string>() != "gaussian")
    return bad("init_lora_weights", "an init that changes the base model is not supported");
  for (const char* k : {"loftq_config", "layers_to_transform", "exclude_modules", "layer_replication",
                        "target_parameters", "modules_to_save", "alora_invocation_tokens"}) {
    if (is_set(k)) return bad(k, "is not supported (ascent adapts whole linear modules of every layer)");
  }
  for (const char* k : {"rank_pattern", "alpha_pattern"})
    if (j.contains(k) && j[k].is_object() && !j[k].empty())
      return bad(k, "per-module ranks are not supported");
  const json& tm = j.contains("target_modules") ? j["target_modules"] : json();
  if (tm.is_string() && tm.get<std::string>() == "all-linear") {
    c.target_modules = lora_linear_modules();
  } else if (tm.is_array()) {
    c.target_modules.clear();
    for (const json& x : tm) {
      if (!x.is_string()) return bad("target_modules", "a list of module names is required");
      c.target_modules.push_back(x.get<std::string>());
    }
  } else {
    return bad("target_modules", "a list of module names or \"all-linear\" is required");
  }
  return c;
}

}  // namespace

absl::StatusOr<LoraAdapters> lora_load_peft(const Model& m, const std::string& dir) {
  const std::string cfg_path = (fs::path(dir) / "adapter_config.json").string();
  absl::StatusOr<LoraConfig> cfg = peft_config_read(cfg_path);
  if (!cfg.ok()) return cfg.status();
  absl::StatusOr<LoraAdapters> a = lora_layout(m, *cfg);
  if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat(cfg_path, ": ", a.status().message()));
  const std::string path = (fs::path(dir) / "adapter_model.safetensors").string();
  absl::StatusOr<SafetensorsFile> f = SafetensorsFile::open(path);
  if (!f.ok()) return f.status();
  size_t used = 0;
  for (const LoraTarget& t : a->targets) {
    for (const auto& [key, shape, off] :
         {std::tuple{key_a(t), std::vector<int64_t>{cfg->rank, t.in}, t.a_offset},
          std::tuple{key_b(t), std::vector<int64_t>{t.out, cfg->rank}, t.b_offset}}) {
      if (!f->entries().count(key)) return absl::NotFoundError(absl::StrCat(path, ": no tensor ", key));
      absl::Status st = f->read_f32(key, shape, a->params.data() + off);
      if (!st.ok()) return st;
      ++used;
    }
  }
  if (used != f->entries().size()) {
    for (const auto& [name, e] : f->entries()) {
      bool ours = false;
      for (const LoraTarget& t : a->targets) ours = ours || name == key_a(t) || name == key_b(t);
      if (!ours)
        return absl::InvalidArgumentError(absl::StrCat(path, ": tensor ", name,
                                                       " is not an adapter of a "
                                                       "target module of this model"));
    }
  }
  for (size_t i = 0; i < a->params.size(); ++i) {
    if (!std::isfinite(a->params[i]))
      return absl::InvalidArgumentError(absl::StrCat(path, ": a non-finite value at element ", i));
  }
  return a;
}

}  // namespace ascent
