#include "model/model.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/file_write.h"
#include "core/json_file.h"
#include "core/rng.h"
#include "core/status.h"
#include "model/safetensors.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// Points the views at the parameters and gradients as the model's backend holds them. On a device backend
// the parameters are copied in; the gradients are copied in only when the device copy is first made (later
// they live on the device: model_grads_to_host reads them back).
void bind(Model& m) {
  Backend& b = *m.backend;
  if (b.host_memory()) {
    m.w = model_weights_bind(m.cfg, m.layout, m.params.data());
    if (!m.grads.empty()) m.g = model_weights_bind(m.cfg, m.layout, m.grads.data());
    return;
  }
  const int64_t n = static_cast<int64_t>(m.params.size());
  float* p = m.device_params.ensure<float>(b, n);
  b.copy_to_device(p, m.params.data(), m.params.size() * 4);
  m.w = model_weights_bind(m.cfg, m.layout, p);
  if (!m.grads.empty()) {
    const bool fresh = m.device_grads.bytes() < m.grads.size() * 4 || m.device_grads.backend() != &b;
    float* g = m.device_grads.ensure<float>(b, n);
    if (fresh) b.copy_to_device(g, m.grads.data(), m.grads.size() * 4);
    m.g = model_weights_bind(m.cfg, m.layout, g);
  }
}

// Whether the weight files (model.safetensors, or the files of a sharded index's weight_map) are large enough
// to hold the layout's parameters at 2 bytes each (bf16/f16, the smallest dtype safetensors_read takes).
absl::Status weights_cover_layout(const std::string& dir, const ParamLayout& layout,
                                  const std::map<std::string, std::string>& weight_map) {
  std::set<std::string> names;
  if (weight_map.empty()) names.insert(kSingleFile);
  for (const auto& [tensor, file] : weight_map) names.insert(file);
  uintmax_t bytes = 0;
  for (const std::string& name : names) {
    const fs::path path = fs::path(dir) / name;
    // A truncated or corrupt file is reported as such (its header names the damage), not as a size mismatch.
    if (absl::StatusOr<SafetensorsFile> f = SafetensorsFile::open(path.string()); !f.ok()) return f.status();
    std::error_code ec;
    const uintmax_t n = fs::file_size(path, ec);
    if (!ec) bytes += n;
  }
  if (layout.total > 0 && static_cast<uintmax_t>(layout.total) > bytes / 2) {
    return absl::InvalidArgumentError(
        absl::StrCat((fs::path(dir) / "config.json").string(), ": describes ", layout.total,
                     " parameters, but the weight files hold ", bytes, " bytes (at most ", bytes / 2,
                     " parameters): config.json does not belong to these weights"));
  }
  return absl::OkStatus();
}

DType dtype_of_config(const ModelConfig& cfg) {
  DType t = DType::kF32;
  dtype_parse(cfg.torch_dtype, &t);
  return t;
}
}  // namespace

absl::StatusOr<Model> model_create(const ModelConfig& cfg, DType dtype) {
  Model m;
  m.cfg = cfg;
  m.cfg.torch_dtype = dtype == DType::kF32 ? "float32" : dtype == DType::kBF16 ? "bfloat16" : "float16";
  m.layout = param_layout_build(cfg);
  m.params.assign(static_cast<size_t>(m.layout.total), 0.0f);
  m.disk_dtype.assign(m.layout.params.size(), dtype);
  m.disk_shard.assign(m.layout.params.size(), kSingleFile);
  bind(m);
  return m;
}

void model_init_random(Model& m, uint64_t seed) {
  Rng rng(seed);
  const float stdv = static_cast<float>(m.cfg.initializer_range);
  for (size_t i = 0; i < m.layout.params.size(); ++i) {
    const ParamInfo& p = m.layout.params[i];
    float* x = m.params.data() + p.offset;
    const bool is_norm = p.name.find("norm.weight") != std::string::npos;
    const bool is_bias = p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
    for (int64_t j = 0; j < p.numel; ++j) {
      x[j] = is_norm ? 1.0f : is_bias ? 0.0f : static_cast<float>(rng.next_normal()) * stdv;
    }
    // Round to the storage dtype so the in-memory copy is exactly what a save writes.
    if (m.disk_dtype[i] != DType::kF32) {
      std::vector<uint16_t> tmp(static_cast<size_t>(p.numel));
      dtype_from_f32(m.disk_dtype[i], x, tmp.data(), p.numel);
      dtype_to_f32(m.disk_dtype[i], tmp.data(), x, p.numel);
    }
  }
}

void model_grads_enable(Model& m) {
  if (m.grads.empty()) m.grads.assign(m.params.size(), 0.0f);
  bind(m);
}

absl::Status model_swap_params(Model& m, std::vector<float>& params) {
  if (params.size() != m.params.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("new parameters have ", params.size(), " values, the model ", m.params.size()));
  }
  m.params.swap(params);
  bind(m);
  return absl::OkStatus();
}

void model_grads_zero(Model& m) {
  std::fill(m.grads.begin(), m.grads.end(), 0.0f);
  if (!m.backend->host_memory() && m.device_grads.bytes() > 0) {
    m.backend->fill_zero(m.device_grads.data<float>(), m.grads.size() * 4);
  }
}

void model_to_backend(Model& m, Backend& b) {
  m.backend = &b;
  if (b.host_memory()) m.device_params = DeviceBuffer(), m.device_grads = DeviceBuffer();
  bind(m);
}

void model_params_to_backend(Model& m) {
  if (m.backend->host_memory()) return;
  m.backend->copy_to_device(m.device_params.data<float>(), m.params.data(), m.params.size() * 4);
}

void model_grads_to_host(Model& m) {
  if (m.backend->host_memory() || m.grads.empty()) return;
  m.backend->copy_to_host(m.grads.data(), m.device_grads.data<float>(), m.grads.size() * 4);
}

int64_t first_non_finite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return -1;
}

absl::StatusOr<Model> model_load(const std::string& dir) {
  ASCENT_ASSIGN_OR_RETURN(ModelConfig cfg, model_config_load((fs::path(dir) / "config.json").string()));
  Model m;
  m.cfg = cfg;
  m.layout = param_layout_build(cfg);
  m.disk_dtype.assign(m.layout.params.size(), dtype_of_config(cfg));
  m.disk_shard.assign(m.layout.params.size(), kSingleFile);
  m.source_dir = dir;
  // generation_config.json: the eos ids generation stops on (an int or a list).
  if (const fs::path gen = fs::path(dir) / "generation_config.json"; fs::exists(gen)) {
    absl::StatusOr<json> read = json_file_read_object(gen.string());
    if (!read.ok()) return absl::DataLossError(read.status().message());
    const json& g = *read;
    if (g.contains("eos_token_id") && !g["eos_token_id"].is_null()) {
      const json e = g["eos_token_id"].is_array() ? g["eos_token_id"] : json::array({g["eos_token_id"]});
      for (const json& x : e) {
        if (!x.is_number_integer())
          return absl::DataLossError(gen.string() + ": eos_token_id: expected integers");
        const int64_t id = x.get<int64_t>();
        if (std::find(m.cfg.eos_token_ids.begin(), m.cfg.eos_token_ids.end(), id) ==
            m.cfg.eos_token_ids.end()) {
          m.cfg.eos_token_ids.push_back(id);
        }
      }
    }
  }

  // name -> file, from the index when sharded.
  std::map<std::string, std::string> weight_map;
  const fs::path index_path = fs::path(dir) / kIndexFile;
  const bool sharded = fs::exists(index_path);
  if (sharded) {
    std::ifstream f(index_path);
    std::stringstream ss;
    ss << f.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      return absl::DataLossError(index_path.string() + ": not valid JSON with a 'weight_map' object");
    }
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it->is_string())
        return absl::DataLossError(index_path.string() + ": weight_map['" + it.key() +
                                   "'] is not a file name");
      weight_map[it.key()] = it->get<std::string>();
    }
  }
  // Sizes before allocation: the weight files hold every parameter in 2 bytes or more, so a config.json that
  // describes more than that (hidden_size 1e9) is refused here, not by bad_alloc.
  ASCENT_RETURN_IF_ERROR(weights_cover_layout(dir, m.layout, weight_map));
  m.params.assign(static_cast<size_t>(m.layout.total), 0.0f);
  std::map<std::string, std::unique_ptr<SafetensorsFile>> files;
  auto file_for = [&](const std::string& fname) -> absl::StatusOr<SafetensorsFile*> {
    auto it = files.find(fname);
    if (it != files.end()) return it->second.get();
    ASCENT_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::open((fs::path(dir) / fname).string()));
    auto p = std::make_unique<SafetensorsFile>(std::move(f));
    SafetensorsFile* raw = p.get();
    files[fname] = std::move(p);
    return raw;
  };
  for (size_t i = 0; i < m.layout.params.size(); ++i) {
    const ParamInfo& p = m.layout.params[i];
    std::string fname = kSingleFile;
    if (sharded) {
      auto it = weight_map.find(p.name);
      if (it == weight_map.end()) {
        return absl::NotFoundError(index_path.string() + ": tensor '" + p.name +
                                   "' is missing from weight_map");
      }
      fname = it->second;
    }
    ASCENT_ASSIGN_OR_RETURN(SafetensorsFile * f, file_for(fname));
    ASCENT_RETURN_IF_ERROR(f->read_f32(p.name, p.shape, m.params.data() + p.offset));
    if (int64_t at = first_non_finite(m.params.data() + p.offset, p.numel); at >= 0) {
      return absl::DataLossError(absl::StrCat((fs::path(dir) / fname).string(), ": tensor '", p.name,
                                              "' holds a non-finite value (", m.params[p.offset + at],
                                              ") at element ", at));
    }
    m.disk_dtype[i] = f->entries().at(p.name).dtype;
    m.disk_shard[i] = fname;
  }
  bind(m);
  return m;
}

absl::Status model_save(const Model& m, const std::string& dir, int64_t shard_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(dir + ": cannot create directory: " + ec.message());
  // Decide the shard of every tensor.
  std::vector<std::string> shard(m.layout.params.size());
  if (shard_bytes > 0) {
    std::vector<int> idx(m.layout.params.size());
    int cur = 0;
    int64_t used = 0;
    for (size_t i = 0; i < m.layout.params.size(); ++i) {
      int64_t bytes = m.layout.params[i].numel * dtype_size(m.disk_dtype[i]);
      if (used > 0 && used + bytes > shard_bytes) ++cur, used = 0;
      idx[i] = cur;
      used += bytes;
    }
    const int n = cur + 1;
    for (size_t i = 0; i < shard.size(); ++i) {
      char buf[64];
      if (n == 1)
        std::snprintf(buf, sizeof buf, "%s", kSingleFile);
      else
        std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", idx[i] + 1, n);
      shard[i] = buf;
    }
  } else {
    shard = m.disk_shard;
  }
  std::map<std::string, std::vector<SafetensorsTensor>> by_file;
  int64_t total_size = 0;
  for (size_t i = 0; i < m.layout.params.size(); ++i) {
    const ParamInfo& p = m.layout.params[i];
    by_file[shard[i]].push_back({p.name, m.disk_dtype[i], p.shape, m.params.data() + p.offset});
    total_size += p.numel * dtype_size(m.disk_dtype[i]);
  }
  for (const auto& [fname, tensors] : by_file) {
    ASCENT_RETURN_IF_ERROR(safetensors_write((fs::path(dir) / fname).string(), tensors, {{"format", "pt"}}));
  }
  const fs::path index_path = fs::path(dir) / kIndexFile;
  if (by_file.size() > 1 || by_file.begin()->first != kSingleFile) {
    json idx;
    idx["metadata"] = {{"total_size", total_size}};
    idx["weight_map"] = json::object();
    for (size_t i = 0; i < m.layout.params.size(); ++i) idx["weight_map"][m.layout.params[i].name] = shard[i];
    ASCENT_RETURN_IF_ERROR(file_write_atomic(index_path.string(), idx.dump(2) + "\n"));
  } else {
    fs::remove(index_path, ec);
  }
  json cfg = model_config_to_json(m.cfg);
  ASCENT_RETURN_IF_ERROR(file_write_atomic((fs::path(dir) / "config.json").string(), cfg.dump(2) + "\n"));
  if (!m.source_dir.empty() && fs::exists(m.source_dir) && !fs::equivalent(m.source_dir, dir, ec)) {
    for (const char* name :
         {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
          "added_tokens.json", "chat_template.jinja", "generation_config.json"}) {
      const fs::path from = fs::path(m.source_dir) / name;
      if (!fs::exists(from)) continue;
      fs::copy_file(from, fs::path(dir) / name, fs::copy_options::overwrite_existing, ec);
      if (ec) return absl::InternalError((fs::path(dir) / name).string() + ": cannot copy: " + ec.message());
    }
  }
  return absl::OkStatus();
}

}  // namespace ascent
