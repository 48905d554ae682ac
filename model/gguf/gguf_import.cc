#include "model/gguf/gguf_import.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_write.h"
#include "core/status.h"
#include "model/config.h"
#include "model/gguf/gguf_dequant.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_tokenizer.h"
#include "model/model.h"
#include "model/safetensors.h"

namespace ascent {

namespace {

namespace fs = std::filesystem;

absl::StatusOr<int64_t> int_or(const GgufFile& f, const std::string& key, int64_t dflt) {
  if (!f.metadata().count(key)) return dflt;
  return f.get_int(key);
}

absl::StatusOr<double> float_or(const GgufFile& f, const std::string& key, double dflt) {
  if (!f.metadata().count(key)) return dflt;
  return f.get_float(key);
}

double shortest_decimal(float x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), x);  // shortest round-trip form
  return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

absl::StatusOr<ModelConfig> config_from(const GgufFile& f, int64_t vocab) {
  ASCENT_ASSIGN_OR_RETURN(std::string arch, f.get_string("general.architecture"));
  if (arch != "llama") {
    return absl::UnimplementedError(
        absl::StrCat(f.path(), ": general.architecture: '", arch, "' is not imported (llama is)"));
  }
  if (f.tensor("rope_freqs.weight") != nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        f.path(), ": tensor rope_freqs.weight: llama3 RoPE scaling stored as frequencies is not imported"));
  }
  const std::string p = arch + ".";
  ModelConfig c;
  c.arch = ModelArch::kLlama;
  c.vocab_size = vocab;
  ASCENT_ASSIGN_OR_RETURN(c.num_layers, f.get_int(p + "block_count"));
  ASCENT_ASSIGN_OR_RETURN(c.hidden_size, f.get_int(p + "embedding_length"));
  ASCENT_ASSIGN_OR_RETURN(c.intermediate_size, f.get_int(p + "feed_forward_length"));
  ASCENT_ASSIGN_OR_RETURN(c.num_heads, f.get_int(p + "attention.head_count"));
  ASCENT_ASSIGN_OR_RETURN(c.num_kv_heads, int_or(f, p + "attention.head_count_kv", c.num_heads));
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0 || c.hidden_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": ", p, "attention.head_count ", c.num_heads,
                                                   " and head_count_kv ", c.num_kv_heads, " do not fit"));
  }
  ASCENT_ASSIGN_OR_RETURN(c.head_dim, int_or(f, p + "rope.dimension_count", c.hidden_size / c.num_heads));
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(f.path(), ": ", p, "rope.dimension_count ", c.head_dim, ": the head size must be even"));
  }
  ASCENT_ASSIGN_OR_RETURN(c.max_position_embeddings, int_or(f, p + "context_length", 2048));
  ASCENT_ASSIGN_OR_RETURN(c.rms_norm_eps, float_or(f, p + "attention.layer_norm_rms_epsilon", 1e-5));
  // GGUF stores the epsilon as a float32: 1e-5 reads back as 9.99999974738e-06. Hugging Face configs
  // carry the decimal, and the norm adds it in float32 either way: the shortest decimal that is that float.
  c.rms_norm_eps = shortest_decimal(static_cast<float>(c.rms_norm_eps));
  ASCENT_ASSIGN_OR_RETURN(c.rope.theta, float_or(f, p + "rope.freq_base", 10000.0));
  if (f.metadata().count(p + "rope.scaling.type")) {
    ASCENT_ASSIGN_OR_RETURN(std::string type, f.get_string(p + "rope.scaling.type"));
    if (type == "linear") {
      c.rope.type = "linear";
      ASCENT_ASSIGN_OR_RETURN(c.rope.factor, f.get_float(p + "rope.scaling.factor"));
    } else if (type != "none") {
      return absl::UnimplementedError(absl::StrCat(f.path(), ": ", p, "rope.scaling.type: '", type,
                                                   "' is not imported (none, linear are)"));
    }
  }
  c.tie_word_embeddings = f.tensor("output.weight") == nullptr;
  ASCENT_ASSIGN_OR_RETURN(c.bos_token_id, int_or(f, "tokenizer.ggml.bos_token_id", -1));
  ASCENT_ASSIGN_OR_RETURN(int64_t eos, int_or(f, "tokenizer.ggml.eos_token_id", -1));
  if (eos >= 0) c.eos_token_ids = {eos};
  return c;
}

// llama.cpp's converter reorders each head's rows of attn_q / attn_k from Hugging Face's [first half; second
// half] (rotate_half RoPE) to interleaved pairs: gguf row 2i = hf row i, gguf row 2i+1 = hf row D/2 + i.
void unpermute_rows(std::vector<float>& w, int64_t heads, int64_t cols) {
  const int64_t rows = static_cast<int64_t>(w.size()) / cols, d = rows / heads;
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < d / 2; ++i) {
      for (int64_t half = 0; half < 2; ++half) {
        const float* src = &w[static_cast<size_t>((h * d + 2 * i + half) * cols)];
        std::copy(src, src + cols, &out[static_cast<size_t>((h * d + half * (d / 2) + i) * cols)]);
      }
    }
  }
  w = std::move(out);
}

struct Mapped {
  std::string hf_name;
  std::vector<int64_t> shape;  // Hugging Face (row-major)
  int64_t unpermute_heads = 0;
};

// The Hugging Face name and shape of every tensor a llama GGUF must hold.
std::map<std::string, Mapped> llama_names(const ModelConfig& c) {
  const int64_t C = c.hidden_size, F = c.intermediate_size, D = c.head_dim;
  std::map<std::string, Mapped> m;
  m["token_embd.weight"] = {"model.embed_tokens.weight", {c.vocab_size, C}};
  m["output_norm.weight"] = {"model.norm.weight", {C}};
  if (!c.tie_word_embeddings) m["output.weight"] = {"lm_head.weight", {c.vocab_size, C}};
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string g = absl::StrCat("blk.", l, "."), h = absl::StrCat("model.layers.", l, ".");
    m[g + "attn_norm.weight"] = {h + "input_layernorm.weight", {C}};
    m[g + "ffn_norm.weight"] = {h + "post_attention_layernorm.weight", {C}};
    m[g + "attn_q.weight"] = {h + "self_attn.q_proj.weight", {c.num_heads * D, C}, c.num_heads};
    m[g + "attn_k.weight"] = {h + "self_attn.k_proj.weight", {c.num_kv_heads * D, C}, c.num_kv_heads};
    m[g + "attn_v.weight"] = {h + "self_attn.v_proj.weight", {c.num_kv_heads * D, C}};
    m[g + "attn_output.weight"] = {h + "self_attn.o_proj.weight", {C, c.num_heads * D}};
    m[g + "ffn_gate.weight"] = {h + "mlp.gate_proj.weight", {F, C}};
    m[g + "ffn_up.weight"] = {h + "mlp.up_proj.weight", {F, C}};
    m[g + "ffn_down.weight"] = {h + "mlp.down_proj.weight", {C, F}};
  }
  return m;
}

// Dequantises every tensor under its Hugging Face name, in the file's order.
absl::Status read_weights(const GgufFile& f, const ModelConfig& c, std::vector<std::string>* names,
                          std::vector<std::vector<int64_t>>* shapes, std::vector<std::vector<float>>* data,
                          GgufImportReport* report) {
  std::map<std::string, Mapped> want = llama_names(c);
  std::map<std::string, int64_t> types;
  for (const GgufTensor& t : f.tensors()) {
    auto it = want.find(t.name);
    if (it == want.end()) {
      return absl::UnimplementedError(absl::StrCat(f.path(), ": tensor ", t.name, " (",
                                                   ggml_type_name(t.type),
                                                   "): no Hugging Face llama name takes it"));
    }
    const Mapped& m = it->second;
    if (t.torch_shape() != m.shape) {
      return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor ", t.name, ": shape ",
                                                     shape_to_string(t.torch_shape()), ", the metadata says ",
                                                     shape_to_string(m.shape)));
    }
    std::vector<float> x(static_cast<size_t>(t.numel()));
    if (absl::Status s = ggml_dequantize(t.type, f.data(t), t.numel(), x.data()); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(f.path(), ": tensor ", t.name, ": ", s.message()));
    }
    if (first_non_finite(x.data(), t.numel()) >= 0) {
      return absl::DataLossError(absl::StrCat(f.path(), ": tensor ", t.name, " holds a non-finite value"));
    }
    if (m.unpermute_heads > 0) unpermute_rows(x, m.unpermute_heads, m.shape[1]);
    names->push_back(m.hf_name), shapes->push_back(m.shape), data->push_back(std::move(x));
    ++types[ggml_type_name(t.type)];
    want.erase(it);
  }
  if (!want.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(f.path(), ": tensor ", want.begin()->first, " is missing (", want.size(), " in all)"));
  }
  if (report != nullptr) {
    std::vector<std::string> parts;
    for (const auto& [name, n] : types) parts.push_back(absl::StrCat(name, " x", n));
    report->quant_types = absl::StrJoin(parts, ", ");
    report->tensors = static_cast<int64_t>(names->size());
    for (const auto& d : *data) report->params += static_cast<int64_t>(d.size());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status gguf_import(const std::string& gguf_path, const std::string& out_dir, DType dtype,
                         GgufImportReport* report) {
  ASCENT_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(gguf_path));
  ASCENT_ASSIGN_OR_RETURN(nlohmann::json tokenizer, gguf_tokenizer_json(f));
  ASCENT_ASSIGN_OR_RETURN(nlohmann::json tokenizer_config, gguf_tokenizer_config_json(f));
  const int64_t vocab = static_cast<int64_t>(tokenizer["model"]["vocab"].size());
  ASCENT_ASSIGN_OR_RETURN(ModelConfig c, config_from(f, vocab));
  if (f.metadata().count("llama.vocab_size")) {
    ASCENT_ASSIGN_OR_RETURN(int64_t v, f.get_int("llama.vocab_size"));
    if (v != vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat(gguf_path, ": llama.vocab_size ", v, " but tokenizer.ggml.tokens holds ", vocab));
    }
  }
  c.torch_dtype = dtype == DType::kBF16 ? "bfloat16" : dtype == DType::kF16 ? "float16" : "float32";
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> data;
  ASCENT_RETURN_IF_ERROR(read_weights(f, c, &names, &shapes, &data, report));

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(out_dir, ": ", ec.message()));
  std::vector<SafetensorsTensor> tensors;
  for (size_t i = 0; i < names.size(); ++i) tensors.push_back({names[i], dtype, shapes[i], data[i].data()});
  ASCENT_RETURN_IF_ERROR(
      safetensors_write(out_dir + "/model.safetensors", tensors, {{"format", "pt"}, {"source", gguf_path}}));
  ASCENT_RETURN_IF_ERROR(file_write_atomic(out_dir + "/config.json", model_config_to_json(c).dump(2) + "\n"));
  ASCENT_RETURN_IF_ERROR(file_write_atomic(out_dir + "/tokenizer.json", tokenizer.dump(2) + "\n"));
  return file_write_atomic(out_dir + "/tokenizer_config.json", tokenizer_config.dump(2) + "\n");
}

}  // namespace ascent
