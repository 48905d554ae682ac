#include "model/cpu/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "core/vec_math.h"

namespace ascent::cpu {

namespace {
constexpr int64_t kRowBlock = 64;  // query rows per work item; keys beyond the block's last row are skipped

struct Item {
  int64_t span;
  int64_t head;  // query head (forward) or kv head (backward)
  int64_t r0, r1;
};

std::vector<float>& scratch(int which) {
  thread_local std::vector<float> bufs[2];
  return bufs[which];
}

// Softmax over row i's visible keys [0, lim) of S (row stride ld), masked tail zeroed; returns log-sum-exp.
float softmax_row(float* s, int64_t lim, int64_t ld) {
  const ExpSum es = vec_exp_sum_stable(s, s, lim);
  const float inv = 1.0f / es.sum;
  for (int64_t j = 0; j < lim; ++j) s[j] *= inv;
  for (int64_t j = lim; j < ld; ++j) s[j] = 0.0f;
  return es.max + std::log(es.sum);
}
}  // namespace

void attention_forward(float* out, float* lse, const float* q, const std::vector<AttnSpan>& spans, int64_t H,
                       int64_t KV, int64_t D) {
  const int64_t HD = H * D, KVD = KV * D, rep = H / KV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  std::vector<Item> items;
  for (int64_t s = 0; s < static_cast<int64_t>(spans.size()); ++s) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t r0 = 0; r0 < spans[s].n_q; r0 += kRowBlock) {
        items.push_back({s, h, r0, std::min(spans[s].n_q, r0 + kRowBlock)});
      }
    }
  }
  int64_t work = 0;  // multiply-adds, roughly: rows x visible keys x head_dim
  for (const auto& sp : spans) work += sp.n_q * sp.n_k * D * H;
#pragma omp parallel for schedule(dynamic, 1) if (work >= kParallelMinWork)
  for (int64_t it = 0; it < static_cast<int64_t>(items.size()); ++it) {
    const Item& item = items[it];
    const AttnSpan& sp = spans[item.span];
    const int64_t h = item.head, g = h / rep, rb = item.r1 - item.r0;
    const int64_t shift = sp.n_k - sp.n_q;  // query i sees keys [0, shift + i]
    const int64_t nvis = shift + item.r1;   // keys any row of the block can see
    const float* qh = q + (sp.q_start + item.r0) * HD + h * D;
    const float* kg = sp.k + g * D;
    const float* vg = sp.v + g * D;
    float* oh = out + (sp.q_start + item.r0) * HD + h * D;
    std::vector<float>& S = scratch(0);
    S.resize(static_cast<size_t>(rb * nvis));
    if (rb == 1) {  // decode: one query row, S = scale * K q as a matrix-vector product
      cblas_sgemv(CblasRowMajor, CblasNoTrans, nvis, D, scale, kg, KVD, qh, 1, 0.0f, S.data(), 1);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rb, nvis, D, scale, qh, HD, kg, KVD, 0.0f,
                  S.data(), nvis);
    }
    for (int64_t i = 0; i < rb; ++i) {
      float l = softmax_row(S.data() + i * nvis, shift + item.r0 + i + 1, nvis);
      if (lse) lse[(sp.q_start + item.r0 + i) * H + h] = l;
    }
    if (rb == 1) {  // o = V^T p
      cblas_sgemv(CblasRowMajor, CblasTrans, nvis, D, 1.0f, vg, KVD, S.data(), 1, 0.0f, oh, 1);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rb, D, nvis, 1.0f, S.data(), nvis, vg, KVD, 0.0f,
                  oh, HD);
    }
  }
}

void attention_backward(float* dq, const float* dout, const float* q, const float* out, const float* lse,
                        const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D) {
  const int64_t HD = H * D, KVD = KV * D, rep = H / KV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  // One work item per (span, kv head): the heads sharing a kv head accumulate into the same dk/dv rows, so
  // they run in one item, in order (deterministic, no atomics).
  std::vector<Item> items;
  for (int64_t s = 0; s < static_cast<int64_t>(spans.size()); ++s) {
    for (int64_t g = 0; g < KV; ++g) items.push_back({s, g, 0, spans[s].n_q});
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t it = 0; it < static_cast<int64_t>(items.size()); ++it) {
    const AttnSpan& sp = spans[items[it].span];
    const int64_t g = items[it].head;
    const int64_t shift = sp.n_k - sp.n_q;
    const float* kg = sp.k + g * D;
    const float* vg = sp.v + g * D;
    float* dkg = sp.dk + g * D;
    float* dvg = sp.dv + g * D;
    std::vector<float>& P = scratch(0);
    std::vector<float>& dS = scratch(1);
    for (int64_t h = g * rep; h < (g + 1) * rep; ++h) {
      for (int64_t r0 = 0; r0 < sp.n_q; r0 += kRowBlock) {
        const int64_t r1 = std::min(sp.n_q, r0 + kRowBlock), rb = r1 - r0, nvis = shift + r1;
        const int64_t row0 = sp.q_start + r0;
        const float* qh = q + row0 * HD + h * D;
        const float* oh = out + row0 * HD + h * D;
        const float* doh = dout + row0 * HD + h * D;
        P.resize(static_cast<size_t>(rb * nvis));
        dS.resize(static_cast<size_t>(rb * nvis));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rb, nvis, D, scale, qh, HD, kg, KVD, 0.0f,
                    P.data(), nvis);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rb, nvis, D, 1.0f, doh, HD, vg, KVD, 0.0f,
                    dS.data(), nvis);
        for (int64_t i = 0; i < rb; ++i) {
          const int64_t lim = shift + r0 + i + 1;
          const float l = lse[(row0 + i) * H + h];
          float di = 0.0f;  // D_i = sum_d dO_i,d * O_i,d = sum_j P_ij dP_ij
          for (int64_t d = 0; d < D; ++d) di += doh[i * HD + d] * oh[i * HD + d];
          float* p = P.data() + i * nvis;
          float* ds = dS.data() + i * nvis;
          vec_exp(p, p, lim, -l);
          for (int64_t j = 0; j < lim; ++j) ds[j] = p[j] * (ds[j] - di);
          for (int64_t j = lim; j < nvis; ++j) p[j] = 0.0f, ds[j] = 0.0f;
        }
        // dV += P^T dO; dQ = scale dS K; dK += scale dS^T Q
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nvis, D, rb, 1.0f, P.data(), nvis, doh, HD, 1.0f,
                    dvg, KVD);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rb, D, nvis, scale, dS.data(), nvis, kg, KVD,
                    0.0f, dq + row0 * HD + h * D, HD);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nvis, D, rb, scale, dS.data(), nvis, qh, HD,
                    1.0f, dkg, KVD);
      }
    }
  }
}

}  // namespace ascent::cpu
