#include "model/transformer.h"

#include <cstring>

#include "core/status.h"
#include "core/threads.h"
#include "model/cpu/attention.h"
#include "model/cpu/embedding.h"
#include "model/cpu/linear.h"
#include "model/cpu/rmsnorm.h"
#include "model/cpu/rope.h"
#include "model/cpu/swiglu.h"

namespace ascent {

void batch_add_sequence(PackedBatch& b, const std::vector<int32_t>& ids) {
  b.tokens.insert(b.tokens.end(), ids.begin(), ids.end());
  b.segments.push_back({static_cast<int64_t>(ids.size()), 0, -1});
}

int64_t batch_num_targets(const PackedBatch& b) {
  int64_t n = 0;
  for (const auto& s : b.segments) n += s.len - 1;
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

void resize(std::vector<float>& v, int64_t n) {
  v.resize(static_cast<size_t>(n));
}

void acts_resize(LayerActs& a, const Dims& d, bool qk_norm) {
  resize(a.rstd1, d.N), resize(a.h1, d.N * d.C);
  resize(a.q, d.N * d.HD), resize(a.k, d.N * d.KVD), resize(a.v, d.N * d.KVD);
  if (qk_norm) {
    resize(a.q_pre, d.N * d.HD), resize(a.k_pre, d.N * d.KVD);
    resize(a.q_rstd, d.N * d.H), resize(a.k_rstd, d.N * d.KV);
  }
  resize(a.att, d.N * d.HD), resize(a.lse, d.N * d.H), resize(a.x_mid, d.N * d.C), resize(a.rstd2, d.N);
  resize(a.h2, d.N * d.C), resize(a.gate, d.N * d.F), resize(a.up, d.N * d.F), resize(a.act, d.N * d.F);
}

absl::Status batch_validate(const PackedBatch& b, const ModelConfig& cfg, const KvCache* cache) {
  int64_t total = 0;
  for (size_t s = 0; s < b.segments.size(); ++s) {
    const Segment& seg = b.segments[s];
    if (seg.len < 1) return absl::InvalidArgumentError(absl::StrCat("segment ", s, ": empty"));
    if (cache == nullptr && (seg.pos0 != 0 || seg.slot >= 0)) {
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

void rope_for_batch(const Model& m, const PackedBatch& b, std::vector<float>& cos, std::vector<float>& sin) {
  std::vector<int32_t> pos;
  pos.reserve(b.tokens.size());
  for (const auto& s : b.segments) {
    for (int64_t i = 0; i < s.len; ++i) pos.push_back(static_cast<int32_t>(s.pos0 + i));
  }
  std::vector<float> inv = model_config_rope_inv_freq(m.cfg);
  const int64_t N = static_cast<int64_t>(pos.size());
  resize(cos, N * m.cfg.head_dim / 2);
  resize(sin, N * m.cfg.head_dim / 2);
  rope_tables(cos.data(), sin.data(), pos.data(), inv, N);
}

// Spans over the batch's own k/v (no cache), with gradient targets for the backward.
std::vector<AttnSpan> local_spans(const PackedBatch& b, const Dims& d, const float* k, const float* v, float* dk,
                                  float* dv) {
  std::vector<AttnSpan> spans;
  int64_t start = 0;
  for (const auto& s : b.segments) {
    AttnSpan sp;
    sp.q_start = start;
    sp.n_q = s.len;
    sp.k = k + start * d.KVD;
    sp.v = v + start * d.KVD;
    sp.n_k = s.len;
    if (dk) sp.dk = dk + start * d.KVD, sp.dv = dv + start * d.KVD;
    spans.push_back(sp);
    start += s.len;
  }
  return spans;
}

// Writes this batch's k/v into the cache and returns spans that read the cache.
std::vector<AttnSpan> cache_spans(const PackedBatch& b, const Dims& d, KvCache& cache, int64_t layer,
                                  const float* k, const float* v) {
  std::vector<AttnSpan> spans;
  int64_t start = 0;
  for (const auto& s : b.segments) {
    std::memcpy(cache.k_at(layer, s.slot, s.pos0), k + start * d.KVD, static_cast<size_t>(s.len * d.KVD) * 4);
    std::memcpy(cache.v_at(layer, s.slot, s.pos0), v + start * d.KVD, static_cast<size_t>(s.len * d.KVD) * 4);
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

void add_inplace(float* y, const float* x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

// One decoder layer: x_in -> x_out, filling a. With cache != nullptr the attention reads/writes the cache.
// keep_input copies x_in into a.x_in, which only the backward reads.
void layer_forward(const ModelConfig& cfg, const LayerWeights& w, LayerActs& a, const Dims& d, const PackedBatch& b,
                   const float* x_in, float* x_out, const std::vector<float>& cos,
                   const std::vector<float>& sin, KvCache* cache, int64_t layer, bool keep_input) {
  const int64_t N = d.N;
  acts_resize(a, d, cfg.qk_norm);
  if (keep_input && a.x_in.data() != x_in) a.x_in.assign(x_in, x_in + N * d.C);
  rmsnorm_forward(a.h1.data(), a.rstd1.data(), x_in, w.in_norm, N, d.C, d.eps);
  linear_forward(a.q.data(), a.h1.data(), w.q, w.q_b, N, d.C, d.HD);
  linear_forward(a.k.data(), a.h1.data(), w.k, w.k_b, N, d.C, d.KVD);
  linear_forward(a.v.data(), a.h1.data(), w.v, w.v_b, N, d.C, d.KVD);
  if (cfg.qk_norm) {
    a.q_pre = a.q;
    a.k_pre = a.k;
    rmsnorm_forward(a.q.data(), a.q_rstd.data(), a.q_pre.data(), w.q_norm, N * d.H, d.D, d.eps);
    rmsnorm_forward(a.k.data(), a.k_rstd.data(), a.k_pre.data(), w.k_norm, N * d.KV, d.D, d.eps);
  }
  rope_forward(a.q.data(), cos.data(), sin.data(), N, d.H, d.D);
  rope_forward(a.k.data(), cos.data(), sin.data(), N, d.KV, d.D);
  std::vector<AttnSpan> spans = cache ? cache_spans(b, d, *cache, layer, a.k.data(), a.v.data())
                                      : local_spans(b, d, a.k.data(), a.v.data(), nullptr, nullptr);
  attention_forward(a.att.data(), a.lse.data(), a.q.data(), spans, d.H, d.KV, d.D);
  linear_forward(a.x_mid.data(), a.att.data(), w.o, w.o_b, N, d.HD, d.C);
  add_inplace(a.x_mid.data(), x_in, N * d.C);
  rmsnorm_forward(a.h2.data(), a.rstd2.data(), a.x_mid.data(), w.post_norm, N, d.C, d.eps);
  linear_forward(a.gate.data(), a.h2.data(), w.gate, nullptr, N, d.C, d.F);
  linear_forward(a.up.data(), a.h2.data(), w.up, nullptr, N, d.C, d.F);
  swiglu_forward(a.act.data(), a.gate.data(), a.up.data(), N, d.F);
  linear_forward(x_out, a.act.data(), w.down, nullptr, N, d.F, d.C);
  add_inplace(x_out, a.x_mid.data(), N * d.C);
}

// dres holds dL/dx_out on entry and dL/dx_in on return; parameter gradients accumulate into g.
void layer_backward(const ModelConfig& cfg, const LayerWeights& w, const LayerWeights& g, const LayerActs& a,
                    LayerGrads& s, const Dims& d, const PackedBatch& b, float* dres, const std::vector<float>& cos,
                    const std::vector<float>& sin) {
  const int64_t N = d.N;
  auto zero = [](std::vector<float>& v, int64_t n) { v.assign(static_cast<size_t>(n), 0.0f); };
  resize(s.dact, N * d.F);
  linear_backward(s.dact.data(), g.down, nullptr, dres, a.act.data(), w.down, N, d.F, d.C,
                  /*overwrite_dinp=*/true);
  resize(s.dgate, N * d.F), resize(s.dup, N * d.F);
  swiglu_backward(s.dgate.data(), s.dup.data(), s.dact.data(), a.gate.data(), a.up.data(), N, d.F);
  resize(s.dh2, N * d.C);
  linear_backward(s.dh2.data(), g.gate, nullptr, s.dgate.data(), a.h2.data(), w.gate, N, d.C, d.F, true);
  linear_backward(s.dh2.data(), g.up, nullptr, s.dup.data(), a.h2.data(), w.up, N, d.C, d.F);
  rmsnorm_backward(dres, g.post_norm, s.dh2.data(), a.x_mid.data(), w.post_norm, a.rstd2.data(), N, d.C);

  resize(s.datt, N * d.HD);
  linear_backward(s.datt.data(), g.o, g.o_b, dres, a.att.data(), w.o, N, d.HD, d.C, true);
  resize(s.dq, N * d.HD);
  zero(s.dk, N * d.KVD), zero(s.dv, N * d.KVD);
  std::vector<AttnSpan> spans = local_spans(b, d, a.k.data(), a.v.data(), s.dk.data(), s.dv.data());
  attention_backward(s.dq.data(), s.datt.data(), a.q.data(), a.att.data(), a.lse.data(), spans, d.H, d.KV,
                     d.D);
  rope_backward(s.dq.data(), cos.data(), sin.data(), N, d.H, d.D);
  rope_backward(s.dk.data(), cos.data(), sin.data(), N, d.KV, d.D);
  float* dq = s.dq.data();
  float* dk = s.dk.data();
  if (cfg.qk_norm) {
    zero(s.dq_pre, N * d.HD), zero(s.dk_pre, N * d.KVD);
    rmsnorm_backward(s.dq_pre.data(), g.q_norm, dq, a.q_pre.data(), w.q_norm, a.q_rstd.data(), N * d.H, d.D);
    rmsnorm_backward(s.dk_pre.data(), g.k_norm, dk, a.k_pre.data(), w.k_norm, a.k_rstd.data(), N * d.KV, d.D);
    dq = s.dq_pre.data();
    dk = s.dk_pre.data();
  }
  resize(s.dh1, N * d.C);
  linear_backward(s.dh1.data(), g.q, g.q_b, dq, a.h1.data(), w.q, N, d.C, d.HD, true);
  linear_backward(s.dh1.data(), g.k, g.k_b, dk, a.h1.data(), w.k, N, d.C, d.KVD);
  linear_backward(s.dh1.data(), g.v, g.v_b, s.dv.data(), a.h1.data(), w.v, N, d.C, d.KVD);
  rmsnorm_backward(dres, g.in_norm, s.dh1.data(), a.x_in.data(), w.in_norm, a.rstd1.data(), N, d.C);
}

// Runs embedding + all layers; returns the final residual stream x [N, C].
void forward_layers(Model& m, const PackedBatch& b, const Dims& d, ForwardState* st, KvCache* cache,
                    std::vector<float>& x, const std::vector<float>& cos, const std::vector<float>& sin) {
  const int64_t L = m.cfg.num_layers;
  resize(x, d.N * d.C);
  embedding_forward(x.data(), b.tokens.data(), m.w.embed, d.N, d.C);
  const bool keep_all = st != nullptr && !st->recompute;
  LayerActs scratch;
  if (st) st->layers.resize(st->recompute ? L + 1 : L);  // recompute: L inputs + one scratch (index L)
  std::vector<float> next(x.size());
  for (int64_t l = 0; l < L; ++l) {
    LayerActs& a = keep_all ? st->layers[l] : (st ? st->layers[L] : scratch);
    if (st && st->recompute) st->layers[l].x_in = x;  // the only thing kept per layer
    layer_forward(m.cfg, m.w.layers[l], a, d, b, x.data(), next.data(), cos, sin, cache, l,
                  /*keep_input=*/keep_all);
    std::swap(x, next);
  }
}

}  // namespace

absl::StatusOr<std::vector<float>> model_forward_logprobs(Model& m, const PackedBatch& b, ForwardState* st,
                                                          const LmHeadOptions& opt,
                                                          std::vector<float>* entropy) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, nullptr));
  if (m.w.lm_head == nullptr) {
    return absl::FailedPreconditionError("this model has a score head (a reward model), not an LM head");
  }
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  ForwardState local;
  ForwardState& s = st ? *st : local;
  rope_for_batch(m, b, s.cos, s.sin);
  std::vector<float> x;
  forward_layers(m, b, d, st, nullptr, x, s.cos, s.sin);

  // Rows that have a target: every token of a segment but its last.
  s.target_rows.clear();
  s.targets.clear();
  int64_t start = 0;
  for (const auto& seg : b.segments) {
    for (int64_t i = 0; i + 1 < seg.len; ++i) {
      s.target_rows.push_back(start + i);
      s.targets.push_back(b.tokens[start + i + 1]);
    }
    start += seg.len;
  }
  const int64_t Nt = static_cast<int64_t>(s.targets.size());
  std::vector<float> hf(static_cast<size_t>(d.N * d.C));
  resize(s.rstd_final, d.N);
  rmsnorm_forward(hf.data(), s.rstd_final.data(), x.data(), m.w.final_norm, d.N, d.C, d.eps);
  resize(s.h_targets, Nt * d.C);
  for (int64_t i = 0; i < Nt; ++i) {
    std::memcpy(s.h_targets.data() + i * d.C, hf.data() + s.target_rows[i] * d.C,
                static_cast<size_t>(d.C) * 4);
  }
  std::vector<float> logp(static_cast<size_t>(Nt));
  if (entropy) entropy->resize(static_cast<size_t>(Nt));
  lm_head_logprob_forward(logp.data(), entropy ? entropy->data() : nullptr, s.h_targets.data(), m.w.lm_head,
                          s.targets.data(), Nt, d.C, d.V, opt);
  if (st) st->x_final = std::move(x);
  return logp;
}

void model_backward_logprobs(Model& m, const PackedBatch& b, ForwardState& st, const std::vector<float>& dlogp,
                             const LmHeadOptions& opt) {
  ASCENT_CHECK(!m.grads.empty(), "call model_grads_enable before the backward");
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  const int64_t Nt = static_cast<int64_t>(st.targets.size());
  ASCENT_CHECK(static_cast<int64_t>(dlogp.size()) == Nt, "dlogp must have one entry per target token");
  std::vector<float>& dht = st.d_targets;
  dht.assign(static_cast<size_t>(Nt * d.C), 0.0f);
  lm_head_logprob_backward(dht.data(), m.g.lm_head, dlogp.data(), st.h_targets.data(), m.w.lm_head,
                           st.targets.data(), Nt, d.C, d.V, opt);
  std::vector<float>& dhf = st.d_hidden;
  dhf.assign(static_cast<size_t>(d.N * d.C), 0.0f);
  for (int64_t i = 0; i < Nt; ++i) {
    std::memcpy(dhf.data() + st.target_rows[i] * d.C, dht.data() + i * d.C, static_cast<size_t>(d.C) * 4);
  }
  std::vector<float>& dres = st.d_residual;
  dres.assign(static_cast<size_t>(d.N * d.C), 0.0f);
  rmsnorm_backward(dres.data(), m.g.final_norm, dhf.data(), st.x_final.data(), m.w.final_norm,
                   st.rstd_final.data(), d.N, d.C);
  for (int64_t l = m.cfg.num_layers - 1; l >= 0; --l) {
    const LayerActs* a = &st.layers[l];
    if (st.recompute) {
      LayerActs& r = st.layers[m.cfg.num_layers];
      resize(st.recompute_out, d.N * d.C);
      layer_forward(m.cfg, m.w.layers[l], r, d, b, st.layers[l].x_in.data(), st.recompute_out.data(), st.cos,
                    st.sin, nullptr, l, /*keep_input=*/true);
      a = &r;
    }
    layer_backward(m.cfg, m.w.layers[l], m.g.layers[l], *a, st.layer_grads, d, b, dres.data(), st.cos,
                   st.sin);
  }
  embedding_backward(m.g.embed, dres.data(), b.tokens.data(), d.N, d.C);
}

absl::Status model_forward_sequence_scores(Model& m, const PackedBatch& b, std::vector<float>* scores) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, nullptr));
  if (m.w.score == nullptr) {
    return absl::FailedPreconditionError("this model has no score head (not a *ForSequenceClassification)");
  }
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  std::vector<float> cos, sin, x;
  rope_for_batch(m, b, cos, sin);
  forward_layers(m, b, d, nullptr, nullptr, x, cos, sin);
  const int64_t S = static_cast<int64_t>(b.segments.size()), K = m.cfg.num_labels;
  std::vector<float> last(static_cast<size_t>(S * d.C));
  int64_t start = 0;
  for (int64_t s = 0; s < S; ++s) {
    // transformers pools at the last token that is not the pad token (Qwen's pad is its end-of-text token).
    int64_t row = start + b.segments[s].len - 1;
    while (m.cfg.pad_token_id >= 0 && row > start && b.tokens[row] == m.cfg.pad_token_id) --row;
    std::memcpy(last.data() + s * d.C, x.data() + row * d.C, static_cast<size_t>(d.C) * 4);
    start += b.segments[s].len;
  }
  std::vector<float> h(last.size());
  rmsnorm_forward(h.data(), nullptr, last.data(), m.w.final_norm, S, d.C, d.eps);
  scores->assign(static_cast<size_t>(S * K), 0.0f);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t k = 0; k < K; ++k) {
      double acc = 0;  // FP32 inputs, accumulated in double: a handful of dot products per batch
      for (int64_t c = 0; c < d.C; ++c) acc += static_cast<double>(h[s * d.C + c]) * m.w.score[k * d.C + c];
      (*scores)[s * K + k] = static_cast<float>(acc);
    }
  }
  return absl::OkStatus();
}

absl::Status model_forward_last_logits(Model& m, const PackedBatch& b, KvCache& cache, float* logits) {
  ASCENT_RETURN_IF_ERROR(batch_validate(b, m.cfg, &cache));
  if (m.w.lm_head == nullptr) return absl::FailedPreconditionError("a reward model cannot generate");
  const Dims d = dims_of(m.cfg, static_cast<int64_t>(b.tokens.size()));
  std::vector<float> cos, sin, x;
  rope_for_batch(m, b, cos, sin);
  forward_layers(m, b, d, nullptr, &cache, x, cos, sin);
  const int64_t S = static_cast<int64_t>(b.segments.size());
  std::vector<float> last(static_cast<size_t>(S * d.C));
  int64_t end = 0;
  for (int64_t s = 0; s < S; ++s) {
    end += b.segments[s].len;
    std::memcpy(last.data() + s * d.C, x.data() + (end - 1) * d.C, static_cast<size_t>(d.C) * 4);
  }
  std::vector<float> h(last.size());
  rmsnorm_forward(h.data(), nullptr, last.data(), m.w.final_norm, S, d.C, d.eps);
  lm_head_logits(logits, h.data(), m.w.lm_head, S, d.C, d.V);
  return absl::OkStatus();
}

}  // namespace ascent
