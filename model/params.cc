#include "model/params.h"

#include "core/status.h"

namespace ascent {

ParamLayout param_layout_build(const ModelConfig& c) {
  ParamLayout L;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    ParamInfo p;
    p.name = name;
    p.numel = 1;
    for (int64_t d : shape) p.numel *= d;
    p.shape = std::move(shape);
    p.offset = L.total;
    L.total += p.numel;
    L.index[p.name] = L.params.size();
    L.params.push_back(std::move(p));
  };
  const int64_t C = c.hidden_size, D = c.head_dim, HD = c.num_heads * c.head_dim,
                KD = c.num_kv_heads * c.head_dim;
  const int64_t F = c.intermediate_size;
  add("model.embed_tokens.weight", {c.vocab_size, C});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {C});
    add(p + "self_attn.q_proj.weight", {HD, C});
    if (c.qkv_bias) add(p + "self_attn.q_proj.bias", {HD});
    add(p + "self_attn.k_proj.weight", {KD, C});
    if (c.qkv_bias) add(p + "self_attn.k_proj.bias", {KD});
    add(p + "self_attn.v_proj.weight", {KD, C});
    if (c.qkv_bias) add(p + "self_attn.v_proj.bias", {KD});
    add(p + "self_attn.o_proj.weight", {C, HD});
    if (c.o_bias) add(p + "self_attn.o_proj.bias", {C});
    if (c.qk_norm) {
      add(p + "self_attn.q_norm.weight", {D});
      add(p + "self_attn.k_norm.weight", {D});
    }
    add(p + "post_attention_layernorm.weight", {C});
    add(p + "mlp.gate_proj.weight", {F, C});
    add(p + "mlp.up_proj.weight", {F, C});
    add(p + "mlp.down_proj.weight", {C, F});
  }
  add("model.norm.weight", {C});
  if (c.num_labels > 0) {
    add("score.weight", {c.num_labels, C});  // a reward model: no LM head
  } else if (!c.tie_word_embeddings) {
    add("lm_head.weight", {c.vocab_size, C});
  }
  return L;
}

ModelWeights model_weights_bind(const ModelConfig& c, const ParamLayout& L, float* base) {
  auto at = [&](const std::string& name) -> float* {
    auto it = L.index.find(name);
    return it == L.index.end() ? nullptr : base + L.params[it->second].offset;
  };
  ModelWeights w;
  w.embed = at("model.embed_tokens.weight");
  w.layers.resize(c.num_layers);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights& lw = w.layers[l];
    lw.in_norm = at(p + "input_layernorm.weight");
    lw.q = at(p + "self_attn.q_proj.weight");
    lw.q_b = at(p + "self_attn.q_proj.bias");
    lw.k = at(p + "self_attn.k_proj.weight");
    lw.k_b = at(p + "self_attn.k_proj.bias");
    lw.v = at(p + "self_attn.v_proj.weight");
    lw.v_b = at(p + "self_attn.v_proj.bias");
    lw.o = at(p + "self_attn.o_proj.weight");
    lw.o_b = at(p + "self_attn.o_proj.bias");
    lw.q_norm = at(p + "self_attn.q_norm.weight");
    lw.k_norm = at(p + "self_attn.k_norm.weight");
    lw.post_norm = at(p + "post_attention_layernorm.weight");
    lw.gate = at(p + "mlp.gate_proj.weight");
    lw.up = at(p + "mlp.up_proj.weight");
    lw.down = at(p + "mlp.down_proj.weight");
  }
  w.final_norm = at("model.norm.weight");
  if (c.num_labels > 0) {
    w.score = at("score.weight");
  } else {
    w.lm_head = c.tie_word_embeddings ? w.embed : at("lm_head.weight");
  }
  ASCENT_CHECK(w.embed && w.final_norm && (w.lm_head || w.score), "layout does not match config");
  return w;
}

}  // namespace ascent
