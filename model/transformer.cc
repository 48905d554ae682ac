#include "model/transformer.h"

#include <cstring>

#include "core/status.h"
#include "model/rope_tables.h"

namespace ascent {

int64_t batch_add_sequence(PackedBatch& b, const std::vector<int32_t>& ids, bool targets) {
  b.tokens.insert(b.tokens.end(), ids.begin(), ids.end());
  b.segments.push_back({static_cast<int64_t>(ids.size()), 0, -1, -1, targets});
  return static_cast<int64_t>(b.segments.size()) - 1;
}

void batch_add_continuation(PackedBatch& b, int64_t prefix, const std::vector<int32_t>& ids) {
  ASCENT_CHECK(prefix >= 0 && prefix < static_cast<int64_t>(b.segments.size()), "prefix segment index");
  b.tokens.insert(b.tokens.end(), ids.begin(), ids.end());
  b.segments.push_back({static_cast<int64_t>(ids.size()), b.segments[prefix].len, -1, prefix, true});
}

int64_t batch_num_targets(const PackedBatch& b) {
  int64_t n = 0;
  for (const auto& s : b.segments) n += s.targets ? s.len - 1 : 0;
  return n;
}

namespace {

struct Dims {
  int64_t N, C, F, H, KV, D, HD, KVD, V;
  float eps;
};

Dims dims_of(const ModelConfig& c, int64_t N) {
  return {N,
          c.hidden_size,
          c.intermediate_size,
          c.num_heads,
          c.num_kv_heads,
          c.head_dim,
          c.num_heads * c.head_dim,
          c.num_kv_heads * c.head_dim,
          c.vocab_size,
          static_cast<float>(c.rms_norm_eps)};
}

// The model's backend and its op table, for one call.
struct Engine {
  Backend& be;
  const BackendOps& ops;
  explicit Engine(const Model& m) : be(*m.backend), ops(m.backend->ops()) {}
  float* f32(DeviceBuffer& buf, int64_t n) { return buf.ensure<float>(be, n); }
  float* zeros(DeviceBuffer& buf, int64_t n) {
    float* p = f32(buf, n);
    be.fill_zero(p, static_cast<size_t>(n) * 4);
    return p;
  }
  void copy(float* dst, const float* src, int64_t n) { be.copy(dst, src, static_cast<size_t>(n) * 4); }
};

void acts_resize(Engine& e, LayerActs& a, const Dims& d, bool qk_norm) {
  e.f32(a.rstd1, d.N), e.f32(a.h1, d.N * d.C);
  e.f32(a.q, d.N * d.HD), e.f32(a.k, d.N * d.KVD), e.f32(a.v, d.N * d.KVD);
  if (qk_norm) {
    e.f32(a.q_pre, d.N * d.HD), e.f32(a.k_pre, d.N * d.KVD);
    e.f32(a.q_rstd, d.N * d.H), e.f32(a.k_rstd, d.N * d.KV);
  }
  e.f32(a.att, d.N * d.HD), e.f32(a.lse, d.N * d.H), e.f32(a.x_mid, d.N * d.C), e.f32(a.rstd2, d.N);
  e.f32(a.h2, d.N * d.C), e.f32(a.gate, d.N * d.F), e.f32(a.up, d.N * d.F), e.f32(a.act, d.N * d.F);
}

absl::Status batch_validate(const PackedBatch& b, const ModelConfig& cfg, const KvCache* cache) {
  int64_t total = 0;
  for (size_t s = 0; s < b.segments.size(); ++s) {
    const Segment& seg = b.segments[s];
    if (seg.len < 1) return absl::InvalidArgumentError(absl::StrCat("segment ", s, ": empty"));
    if (seg.prefix >= 0) {
      const Segment* p = seg.prefix < static_cast<int64_t>(s) ? &b.segments[seg.prefix] : nullptr;
      if (cache != nullptr || p == nullptr || p->prefix >= 0 || p->pos0 != 0 || seg.pos0 != p->len) {
        return absl::InvalidArgumentError(absl::StrCat(
            "segment ", s, ": a continuation (prefix ", seg.prefix,
            ") needs no KV cache, an earlier whole-sequence prefix, and pos0 = the prefix's length"));
      }
    } else if (cache == nullptr && (seg.pos0 != 0 || seg.slot >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("segment ", s, ": pos0/slot need a KV cache"));
    }
    if (cache != nullptr) {
      if (seg.slot < 0 || seg.slot >= cache->num_slots) {
        return absl::InvalidArgumentError(
            absl::StrCat("segment ", s, ": slot ", seg.slot, " outside the cache"));
      }
      if (seg.pos0 + seg.len > cache->max_len) {
        return absl::OutOfRangeError(absl::StrCat("segment ", s, ": positions up to ", seg.pos0 + seg.len,
                                                  " exceed the KV cache length ", cache->max_len));
      }
    }
    total += seg.len;
  }
  if (total != static_cast<int64_t>(b.tokens.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment lengths sum to ", total, " but the batch has ", b.tokens.size(), " tokens"));
  }
  for (size_t i = 0; i < b.tokens.size(); ++i) {
    if (b.tokens[i] < 0 || b.tokens[i] >= cfg.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("token ", i, ": id ", b.tokens[i],
                                                     " outside the vocabulary [0, ", cfg.vocab_size, ")"));
    }
  }
  return absl::OkStatus();
}

// Tokens and RoPE tables of the batch, on the host and as the backend sees them.
void inputs_prepare(Engine& e, const Model& m, const PackedBatch& b, BatchInputs& in) {
  std::vector<int32_t> pos;
  pos.reserve(b.tokens.size());
  for (const auto& s : b.segments) {
    for (int64_t i = 0; i < s.len; ++i) pos.push_back(static_cast<int32_t>(s.pos0 + i));
  }
  const std::vector<float> inv = model_config_rope_inv_freq(m.cfg);
  const int64_t N = static_cast<int64_t>(pos.size()), half = m.cfg.head_dim / 2;
  in.cos.resize(static_cast<size_t>(N * half));
  in.sin.resize(static_cast<size_t>(N * half));
  rope_tables(in.cos.data(), in.sin.data(), pos.data(), inv, N);
  in.d_tokens = device_input(e.be, b.tokens.data(), N, in.tokens_copy);
  in.d_cos = device_input(e.be, in.cos.data(), N * half, in.cos_copy);
  in.d_sin = device_input(e.be, in.sin.data(), N * half, in.sin_copy);
  // Shared-prefix packing: each continuation's key rows, its prefix's then its own.
  in.seg_start.assign(b.segments.size(), 0);
  in.cat_rows.clear();
  in.cat_start.assign(b.segments.size(), -1);
  for (size_t s = 0, row = 0; s < b.segments.size(); row += b.segments[s].len, ++s) {
    const Segment& seg = b.segments[s];
    in.seg_start[s] = static_cast<int64_t>(row);
    if (seg.prefix < 0) continue;
    in.cat_start[s] = static_cast<int64_t>(in.cat_rows.size());
    for (int64_t i = 0; i < seg.pos0; ++i) in.cat_rows.push_back(in.seg_start[seg.prefix] + i);
    for (int64_t i = 0; i < seg.len; ++i) in.cat_rows.push_back(in.seg_start[s] + i);
  }
  in.d_cat_rows =
      device_input(e.be, in.cat_rows.data(), static_cast<int64_t>(in.cat_rows.size()), in.cat_copy);
}

// The rows that have a target (every token of a segment but its last) and their targets.
void targets_prepare(Engine& e, const PackedBatch& b, BatchInputs& in) {
  in.target_rows.clear();
  in.targets.clear();
  int64_t start = 0;
  for (const auto& seg : b.segments) {
    for (int64_t i = 0; seg.targets && i + 1 < seg.len; ++i) {
      in.target_rows.push_back(start + i);
      in.targets.push_back(b.tokens[start + i + 1]);
    }
    start += seg.len;
  }
  const int64_t Nt = static_cast<int64_t>(in.targets.size());
  in.d_target_rows = device_input(e.be, in.target_rows.data(), Nt, in.rows_copy);
  in.d_targets = device_input(e.be, in.targets.data(), Nt, in.targets_copy);
}

// Spans over the batch's own k/v (no cache). A continuation reads its keys/values from k_cat/v_cat (its
// prefix's rows, then its own, gathered by the forward: attention takes one run of keys per span); in the
// backward its key/value gradients go to dk_cat/dv_cat, which fold_continuation_grads adds back.
std::vector<AttnSpan> local_spans(const PackedBatch& b, const BatchInputs& in, const Dims& d, const float* k,
                                  const float* v, const float* k_cat, const float* v_cat, float* dk,
                                  float* dv, float* dk_cat, float* dv_cat) {
  std::vector<AttnSpan> spans;
  for (size_t s = 0; s < b.segments.size(); ++s) {
    const Segment& seg = b.segments[s];
    AttnSpan sp;
    sp.q_start = in.seg_start[s];
    sp.n_q = seg.len;
    sp.n_k = seg.pos0 + seg.len;
    const bool cat = seg.prefix >= 0;
    const int64_t at = (cat ? in.cat_start[s] : in.seg_start[s]) * d.KVD;
    sp.k = (cat ? k_cat : k) + at;
    sp.v = (cat ? v_cat : v) + at;
    if (dk) sp.dk = (cat ? dk_cat : dk) + at, sp.dv = (cat ? dv_cat : dv) + at;
    spans.push_back(sp);
  }
  return spans;
}

// The forward's gather of every continuation's keys/values (one op each for k and v).
void gather_continuations(Engine& e, const BatchInputs& in, const Dims& d, LayerActs& a) {
  const int64_t n = static_cast<int64_t>(in.cat_rows.size());
  if (n == 0) return;
  e.ops.gather_rows(e.f32(a.k_cat, n * d.KVD), a.k.data<float>(), in.d_cat_rows, n, d.KVD);
  e.ops.gather_rows(e.f32(a.v_cat, n * d.KVD), a.v.data<float>(), in.d_cat_rows, n, d.KVD);
}

// The backward's inverse of that gather: each continuation's key/value gradients go to its prefix's rows
// (summed over the continuations, in batch order: deterministic) and to its own.
void fold_continuation_grads(Engine& e, const PackedBatch& b, const BatchInputs& in, const Dims& d,
                             const float* dk_cat, const float* dv_cat, float* dk, float* dv) {
  for (size_t s = 0; s < b.segments.size(); ++s) {
    const Segment& seg = b.segments[s];
    if (seg.prefix < 0) continue;
    const int64_t at = in.cat_start[s] * d.KVD, P = seg.pos0 * d.KVD, own = at + P;
    const int64_t prefix_row = in.seg_start[seg.prefix] * d.KVD, own_row = in.seg_start[s] * d.KVD;
    e.ops.add_inplace(dk + prefix_row, dk_cat + at, P);
    e.ops.add_inplace(dv + prefix_row, dv_cat + at, P);
    e.ops.add_inplace(dk + own_row, dk_cat + own, seg.len * d.KVD);
    e.ops.add_inplace(dv + own_row, dv_cat + own, seg.len * d.KVD);
  }
}

// Writes this batch's k/v into the cache and returns spans that read the cache.
std::vector<AttnSpan> cache_spans(Engine& e, const PackedBatch& b, const Dims& d, KvCache& cache,
                                  int64_t layer, const float* k, const float* v) {
  std::vector<AttnSpan> spans;
  int64_t start = 0;
  for (const auto& s : b.segments) {
    e.copy(cache.k_at(layer, s.slot, s.pos0), k + start * d.KVD, s.len * d.KVD);
    e.copy(cache.v_at(layer, s.slot, s.pos0), v + start * d.KVD, s.len * d.KVD);
    AttnSpan sp;
    sp.q_start = start;
    sp.n_q = s.len;
    sp.k = cache.k_at(layer, s.slot, 0);
    sp.v = cache.v_at(layer, s.slot, 0);
    sp.n_k = s.pos0 + s.len;
    spans.push_back(sp);
    start += s.len;
  }
  return spans;
}

// Attention block input -> a.att: norm, q/k/v projections, Qwen3's q/k norm, RoPE, causal attention.
void attention_block_forward(Engine& e, const ModelConfig& cfg, const LayerWeights& w, LayerActs& a,
                             const Dims& d, const PackedBatch& b, const float* x_in, const BatchInputs& in,
                             KvCache* cache, int64_t layer) {
  const BackendOps& op = e.ops;
  const int64_t N = d.N;
  op.rmsnorm_forward(a.h1.data<float>(), a.rstd1.data<float>(), x_in, w.in_norm, N, d.C, d.eps);
  op.linear_forward(a.q.data<float>(), a.h1.data<float>(), w.q, w.q_b, N, d.C, d.HD);
  op.linear_forward(a.k.data<float>(), a.h1.data<float>(), w.k, w.k_b, N, d.C, d.KVD);
  op.linear_forward(a.v.data<float>(), a.h1.data<float>(), w.v, w.v_b, N, d.C, d.KVD);
  if (cfg.qk_norm) {
    e.copy(a.q_pre.data<float>(), a.q.data<float>(), N * d.HD);
    e.copy(a.k_pre.data<float>(), a.k.data<float>(), N * d.KVD);
    op.rmsnorm_forward(a.q.data<float>(), a.q_rstd.data<float>(), a.q_pre.data<float>(), w.q_norm, N * d.H,
                       d.D, d.eps);
    op.rmsnorm_forward(a.k.data<float>(), a.k_rstd.data<float>(), a.k_pre.data<float>(), w.k_norm, N * d.KV,
                       d.D, d.eps);
  }
  op.rope_forward(a.q.data<float>(), in.d_cos, in.d_sin, N, d.H, d.D);
  op.rope_forward(a.k.data<float>(), in.d_cos, in.d_sin, N, d.KV, d.D);
  if (!cache) gather_continuations(e, in, d, a);
  std::vector<AttnSpan> spans =
      cache ? cache_spans(e, b, d, *cache, layer, a.k.data<float>(), a.v.data<float>())
            : local_spans(b, in, d, a.k.data<float>(), a.v.data<float>(), a.k_cat.data<float>(),
                          a.v_cat.data<float>(), nullptr, nullptr, nullptr, nullptr);
  op.attention_forward(a.att.data<float>(), a.lse.data<float>(), a.q.data<float>(), spans, d.H, d.KV, d.D);
}

// One decoder layer: x_in -> x_out, filling a. With cache != nullptr the attention reads/writes the cache.
// keep_input copies x_in into a.x_in, which only the backward reads.
void layer_forward(Engine& e, const ModelConfig& cfg, const LayerWeights& w, LayerActs& a, const Dims& d,
                   const PackedBatch& b, const float* x_in, float* x_out, const BatchInputs& in,
                   KvCache* cache, int64_t layer, bool keep_input) {
  const BackendOps& op = e.ops;
  const int64_t N = d.N;
  acts_resize(e, a, d, cfg.qk_norm);
  if (keep_input && a.x_in.data<float>() != x_in) e.copy(e.f32(a.x_in, N * d.C), x_in, N * d.C);
  attention_block_forward(e, cfg, w, a, d, b, x_in, in, cache, layer);
  op.linear_forward(a.x_mid.data<float>(), a.att.data<float>(), w.o, w.o_b, N, d.HD, d.C);
  op.add_inplace(a.x_mid.data<float>(), x_in, N * d.C);
  op.rmsnorm_forward(a.h2.data<float>(), a.rstd2.data<float>(), a.x_mid.data<float>(), w.post_norm, N, d.C,
                     d.eps);
  op.linear_forward(a.gate.data<float>(), a.h2.data<float>(), w.gate, nullptr, N, d.C, d.F);
  op.linear_forward(a.up.data<float>(), a.h2.data<float>(), w.up, nullptr, N, d.C, d.F);
  op.swiglu_forward(a.act.data<float>(), a.gate.data<float>(), a.up.data<float>(), N, d.F);
  op.linear_forward(x_out, a.act.data<float>(), w.down, nullptr, N, d.F, d.C);
  op.add_inplace(x_out, a.x_mid.data<float>(), N * d.C);
}

// The MLP half of a layer's backward. dres holds dL/dx_out on entry and dL/dx_mid on return.
void mlp_block_backward(Engine& e, const LayerWeights& w, const LayerWeights& g, const LayerActs& a,
                        LayerGrads& s, const Dims& d, float* dres) {
  const BackendOps& op = e.ops;
  const int64_t N = d.N;
  float* dact = e.f32(s.dact, N * d.F);
  op.linear_backward(dact, g.down, nullptr, dres, a.act.data<float>(), w.down, N, d.F, d.C,
                     /*overwrite_dinp=*/true);
  float* dgate = e.f32(s.dgate, N * d.F);
  float* dup = e.f32(s.dup, N * d.F);
  op.swiglu_backward(dgate, dup, dact, a.gate.data<float>(), a.up.data<float>(), N, d.F);
  float* dh2 = e.f32(s.dh2, N * d.C);
  op.linear_backward(dh2, g.gate, nullptr, dgate, a.h2.data<float>(), w.gate, N, d.C, d.F, true);
  op.linear_backward(dh2, g.up, nullptr, dup, a.h2.data<float>(), w.up, N, d.C, d.F, false);
  op.rmsnorm_backward(dres, g.post_norm, dh2, a.x_mid.data<float>(), w.post_norm, a.rstd2.data<float>(), N,
                      d.C);
}

// The attention half. dres holds dL/dx_mid on entry and dL/dx_in on return.
void attention_block_backward(Engine& e, const ModelConfig& cfg, const LayerWeights& w, const LayerWeights& g,
                              const LayerActs& a, LayerGrads& s, const Dims& d, const PackedBatch& b,
                              float* dres, const BatchInputs& in) {
  const BackendOps& op = e.ops;
  const int64_t N = d.N;
  float* datt = e.f32(s.datt, N * d.HD);
  op.linear_backward(datt, g.o, g.o_b, dres, a.att.data<float>(), w.o, N, d.HD, d.C, true);
  float* dq = e.f32(s.dq, N * d.HD);
  float* dk = e.zeros(s.dk, N * d.KVD);
  float* dv = e.zeros(s.dv, N * d.KVD);
  const int64_t n_cat = static_cast<int64_t>(in.cat_rows.size());
  float* dk_cat = n_cat ? e.zeros(s.dk_cat, n_cat * d.KVD) : nullptr;
  float* dv_cat = n_cat ? e.zeros(s.dv_cat, n_cat * d.KVD) : nullptr;
  std::vector<AttnSpan> spans =
      local_spans(b, in, d, a.k.data<float>(), a.v.data<float>(), a.k_cat.data<float>(),
                  a.v_cat.data<float>(), dk, dv, dk_cat, dv_cat);
  op.attention_backward(dq, datt, a.q.data<float>(), a.att.data<float>(), a.lse.data<float>(), spans, d.H,
                        d.KV, d.D);
  if (n_cat) fold_continuation_grads(e, b, in, d, dk_cat, dv_cat, dk, dv);
  op.rope_backward(dq, in.d_cos, in.d_sin, N, d.H, d.D);
  op.rope_backward(dk, in.d_cos, in.d_sin, N, d.KV, d.D);
  if (cfg.qk_norm) {
    float* dq_pre = e.zeros(s.dq_pre, N * d.HD);
    float* dk_pre = e.zeros(s.dk_pre, N * d.KVD);
    op.rmsnorm_backward(dq_pre, g.q_norm, dq, a.q_pre.data<float>(), w.q_norm, a.q_rstd.data<float>(),
                        N * d.H, d.D);
    op.rmsnorm_backward(dk_pre, g.k_norm, dk, a.k_pre.data<float>(), w.k_norm, a.k_rstd.data<float>(),
                        N * d.KV, d.D);
    dq = dq_pre;
    dk = dk_pre;
  }
  float* dh1 = e.f32(s.dh1, N * d.C);
  op.linear_backward(dh1, g.q, g.q_b, dq, a.h1.data<float>(), w.q, N, d.C, d.HD, true);
  op.linear_backward(dh1, g.k, g.k_b, dk, a.h1.data<float>(), w.k, N, d.C, d.KVD, false);
  op.linear_backward(dh1, g.v, g.v_b, dv, a.h1.data<float>(), w.v, N, d.C, d.KVD, false);
  op.rmsnorm_backward(dres, g.in_norm, dh1, a.x_in.data<float>(), w.in_norm, a.rstd1.data<float>(), N, d.C);
}

// Runs embedding + all layers; returns the final residual stream x [N, C].
void forward_layers(Engine& e, Model& m, const PackedBatch& b, const Dims& d, ForwardState* st,
                    KvCache* cache, DeviceBuffer& x, const BatchInputs& in) {
  const int64_t L = m.cfg.num_layers;
  e.ops.embedding_forward(e.f32(x, d.N * d.C), in.d_tokens, m.w.embed, d.N, d.C);
  const bool keep_all = st != nullptr && !st->recompute;
  LayerActs scratch;
  if (st) st->layers.resize(st->recompute ? L + 1 : L);  // recompute: L inputs + one scratch (index L)
  DeviceBuffer next;
  e.f32(next, d.N * d.C);
  for (int64_t l = 0; l < L; ++l) {
    LayerActs& a = keep_all ? st->layers[l] : (st ? st->layers[L] : scratch);
    if (st && st->recompute) e.copy(e.f32(st->layers[l].x_in, d.N * d.C), x.data<float>(), d.N * d.C);
    layer_forward(e, m.cfg, m.w.layers[l], a, d, b, x.data<float>(), next.data<float>(), in, cache, l,
                  /*keep_input=*/keep_all);
    std::swap(x, next);
  }
}

// The final norm of the rows to read out: all of x [N, C] into out.
void final_norm(Engine& e, const Model& m, const Dims& d, const float* x, int64_t rows, float* out,
                float* rstd) {
  e.ops.rmsnorm_forward(out, rstd, x, m.w.final_norm, rows, d.C, d.eps);
}

}  // namespace

absl::StatusOr<std::vector<float>> model_forward_logprobs(Model& m, const PackedBatch& b, ForwardState* st,
                                                          const LmHeadOptions& opt,
                                                          std::vector<float>* entropy) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, nullptr));
  if (m.w.lm_head == nullptr) {
    return absl::FailedPreconditionError("this model has a score head (a reward model), not an LM head");
  }
  Engine e(m);
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  ForwardState local;
  ForwardState& s = st ? *st : local;
  inputs_prepare(e, m, b, s.in);
  DeviceBuffer x;
  forward_layers(e, m, b, d, st, nullptr, x, s.in);

  targets_prepare(e, b, s.in);
  const int64_t Nt = static_cast<int64_t>(s.in.targets.size());
  float* hf = e.f32(s.h_final, d.N * d.C);
  final_norm(e, m, d, x.data<float>(), d.N, hf, e.f32(s.rstd_final, d.N));
  float* ht = e.f32(s.h_targets, Nt * d.C);
  e.ops.gather_rows(ht, hf, s.in.d_target_rows, Nt, d.C);
  std::vector<float> logp(static_cast<size_t>(Nt));
  if (entropy) entropy->resize(static_cast<size_t>(Nt));
  float* lp = device_output(e.be, logp.data(), Nt, s.logp);
  float* ent = entropy ? device_output(e.be, entropy->data(), Nt, s.entropy) : nullptr;
  e.ops.lm_head_logprob_forward(lp, ent, ht, m.w.lm_head, s.in.d_targets, Nt, d.C, d.V, opt);
  device_output_done(e.be, logp.data(), lp, Nt);
  if (entropy) device_output_done(e.be, entropy->data(), ent, Nt);
  if (st) st->x_final = std::move(x);
  return logp;
}

void model_backward_logprobs(Model& m, const PackedBatch& b, ForwardState& st,
                             const std::vector<float>& dlogp, const LmHeadOptions& opt) {
  ASCENT_CHECK(!m.grads.empty(), "call model_grads_enable before the backward");
  Engine e(m);
  const BackendOps& op = e.ops;
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  const int64_t Nt = static_cast<int64_t>(st.in.targets.size());
  ASCENT_CHECK(static_cast<int64_t>(dlogp.size()) == Nt, "dlogp must have one entry per target token");
  ASCENT_CHECK(st.in.cat_start.size() == b.segments.size(), "the backward needs the forward's batch");
  const float* d_dlogp = device_input(e.be, dlogp.data(), Nt, st.dlogp);
  float* dht = e.zeros(st.d_targets, Nt * d.C);
  op.lm_head_logprob_backward(dht, m.g.lm_head, d_dlogp, st.h_targets.data<float>(), m.w.lm_head,
                              st.in.d_targets, Nt, d.C, d.V, opt);
  float* dhf = e.zeros(st.d_hidden, d.N * d.C);
  op.scatter_rows(dhf, dht, st.in.d_target_rows, Nt, d.C);
  float* dres = e.zeros(st.d_residual, d.N * d.C);
  op.rmsnorm_backward(dres, m.g.final_norm, dhf, st.x_final.data<float>(), m.w.final_norm,
                      st.rstd_final.data<float>(), d.N, d.C);
  for (int64_t l = m.cfg.num_layers - 1; l >= 0; --l) {
    const LayerActs* a = &st.layers[l];
    if (st.recompute) {
      LayerActs& r = st.layers[m.cfg.num_layers];
      layer_forward(e, m.cfg, m.w.layers[l], r, d, b, st.layers[l].x_in.data<float>(),
                    e.f32(st.recompute_out, d.N * d.C), st.in, nullptr, l, /*keep_input=*/true);
      a = &r;
    }
    mlp_block_backward(e, m.w.layers[l], m.g.layers[l], *a, st.layer_grads, d, dres);
    attention_block_backward(e, m.cfg, m.w.layers[l], m.g.layers[l], *a, st.layer_grads, d, b, dres, st.in);
  }
  // This call's own batch (the one the forward saw, by contract), not a pointer kept from the forward.
  op.embedding_backward(m.g.embed, dres, device_input(e.be, b.tokens.data(), d.N, st.in.tokens_copy), d.N,
                        d.C);
}

// The rows of the batch's last tokens (one per segment), final-normed, into `h` [S, C].
namespace {
void last_rows_normed(Engine& e, Model& m, const PackedBatch& b, const Dims& d, const float* x,
                      const std::vector<int64_t>& rows, DeviceBuffer& rows_copy, DeviceBuffer& last,
                      DeviceBuffer& h) {
  const int64_t S = static_cast<int64_t>(rows.size());
  float* lr = e.f32(last, S * d.C);
  e.ops.gather_rows(lr, x, device_input(e.be, rows.data(), S, rows_copy), S, d.C);
  final_norm(e, m, d, lr, S, e.f32(h, S * d.C), nullptr);
}
}  // namespace

absl::Status model_forward_sequence_scores(Model& m, const PackedBatch& b, std::vector<float>* scores) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, nullptr));
  if (m.w.score == nullptr) {
    return absl::FailedPreconditionError("this model has no score head (not a *ForSequenceClassification)");
  }
  Engine e(m);
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  BatchInputs in;
  inputs_prepare(e, m, b, in);
  DeviceBuffer x;
  forward_layers(e, m, b, d, nullptr, nullptr, x, in);
  const int64_t S = static_cast<int64_t>(b.segments.size()), K = m.cfg.num_labels;
  std::vector<int64_t> rows;
  int64_t start = 0;
  for (int64_t s = 0; s < S; ++s) {
    // transformers pools at the last token that is not the pad token (Qwen's pad is its end-of-text token).
    int64_t row = start + b.segments[s].len - 1;
    while (m.cfg.pad_token_id >= 0 && row > start && b.tokens[row] == m.cfg.pad_token_id) --row;
    rows.push_back(row);
    start += b.segments[s].len;
  }
  DeviceBuffer rows_copy, last, h_dev;
  last_rows_normed(e, m, b, d, x.data<float>(), rows, rows_copy, last, h_dev);
  // The score head: a handful of dot products per batch, FP32 inputs accumulated in double on the host.
  std::vector<float> h(static_cast<size_t>(S * d.C)), w(static_cast<size_t>(K * d.C));
  e.be.copy_to_host(h.data(), h_dev.data<float>(), h.size() * 4);
  e.be.copy_to_host(w.data(), m.w.score, w.size() * 4);
  scores->assign(static_cast<size_t>(S * K), 0.0f);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t k = 0; k < K; ++k) {
      double acc = 0;
      for (int64_t c = 0; c < d.C; ++c) acc += static_cast<double>(h[s * d.C + c]) * w[k * d.C + c];
      (*scores)[s * K + k] = static_cast<float>(acc);
    }
  }
  return absl::OkStatus();
}

absl::Status model_forward_last_logits(Model& m, const PackedBatch& b, KvCache& cache, float* logits) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, &cache));
  if (m.w.lm_head == nullptr) return absl::FailedPreconditionError("a reward model cannot generate");
  if (cache.backend != m.backend) return absl::FailedPreconditionError("the KV cache is on another backend");
  Engine e(m);
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  BatchInputs in;
  inputs_prepare(e, m, b, in);
  DeviceBuffer x;
  forward_layers(e, m, b, d, nullptr, &cache, x, in);
  const int64_t S = static_cast<int64_t>(b.segments.size());
  std::vector<int64_t> rows;
  int64_t end = 0;
  for (int64_t s = 0; s < S; ++s) rows.push_back((end += b.segments[s].len) - 1);
  DeviceBuffer rows_copy, last, h, out;
  last_rows_normed(e, m, b, d, x.data<float>(), rows, rows_copy, last, h);
  float* z = device_output(e.be, logits, S * d.V, out);
  e.ops.lm_head_logits(z, h.data<float>(), m.w.lm_head, S, d.C, d.V);
  device_output_done(e.be, logits, z, S * d.V);
  return absl::OkStatus();
}

}  // namespace ascent
