// Every CPU op's backward against central finite differences of its forward, with loss = <out, R> for a fixed
// random R (so dL/dout = R). Tolerance: see gradcheck.h; each op states its own below.
#include <gtest/gtest.h>

#include "model/cpu/attention.h"
#include "model/cpu/embedding.h"
#include "model/cpu/linear.h"
#include "model/cpu/lm_head.h"
#include "model/cpu/rmsnorm.h"
#include "model/cpu/rope.h"
#include "model/cpu/swiglu.h"
#include "model/rope_tables.h"
#include "tests/gradcheck.h"

namespace ascent {

namespace {

constexpr float kH = 1e-2f;
constexpr double kTol = 2e-3;  // relative to the largest |gradient| of the tensor

#define EXPECT_GRAD_OK(res, name)                                                                      \
  EXPECT_LE((res).max_err, kTol* std::max((res).max_grad, 1e-3))                                       \
      << name << ": max |fd - analytic| " << (res).max_err << " vs largest |grad| " << (res).max_grad; \
  EXPECT_GT((res).checked, 0)

TEST(OpsGradcheck, Linear) {
  const int64_t N = 5, I = 7, O = 6;
  auto x = random_vec(N * I, 1), w = random_vec(O * I, 2), b = random_vec(O, 3), R = random_vec(N * O, 4);
  std::vector<float> out(N * O);
  auto f = [&] {
    cpu::linear_forward(out.data(), x.data(), w.data(), b.data(), N, I, O);
    return dot(out, R);
  };
  std::vector<float> dx(N * I, 0), dw(O * I, 0), db(O, 0);
  cpu::linear_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), N, I, O);
  EXPECT_GRAD_OK(gradcheck(x.data(), dx.data(), N * I, f, kH, 8, 5), "dinp");
  EXPECT_GRAD_OK(gradcheck(w.data(), dw.data(), O * I, f, kH, 8, 6), "dweight");
  EXPECT_GRAD_OK(gradcheck(b.data(), db.data(), O, f, kH, 6, 7), "dbias");
}

TEST(OpsGradcheck, RmsNorm) {
  const int64_t N = 4, C = 16;
  auto x = random_vec(N * C, 1), w = random_vec(C, 2), R = random_vec(N * C, 3);
  std::vector<float> out(N * C), rstd(N);
  auto f = [&] {
    cpu::rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), N, C, 1e-6f);
    return dot(out, R);
  };
  f();
  std::vector<float> dx(N * C, 0), dw(C, 0);
  cpu::rmsnorm_backward(dx.data(), dw.data(), R.data(), x.data(), w.data(), rstd.data(), N, C);
  EXPECT_GRAD_OK(gradcheck(x.data(), dx.data(), N * C, f, kH, 10, 4), "dinp");
  EXPECT_GRAD_OK(gradcheck(w.data(), dw.data(), C, f, kH, 8, 5), "dweight");
}

TEST(OpsGradcheck, Rope) {
  const int64_t N = 6, NH = 3, D = 8;
  std::vector<int32_t> pos = {0, 1, 2, 5, 17, 300};
  std::vector<float> inv = {1.0f, 0.1f, 0.01f, 0.001f};
  std::vector<float> cs(N * D / 2), sn(N * D / 2);
  rope_tables(cs.data(), sn.data(), pos.data(), inv, N);
  auto x = random_vec(N * NH * D, 1), R = random_vec(N * NH * D, 2);
  auto f = [&] {
    std::vector<float> y = x;
    cpu::rope_forward(y.data(), cs.data(), sn.data(), N, NH, D);
    return dot(y, R);
  };
  std::vector<float> dx = R;
  cpu::rope_backward(dx.data(), cs.data(), sn.data(), N, NH, D);
  EXPECT_GRAD_OK(gradcheck(x.data(), dx.data(), N * NH * D, f, kH, 12, 3), "dx");
}

TEST(OpsGradcheck, SwiGlu) {
  const int64_t N = 3, F = 10;
  auto g = random_vec(N * F, 1, 2.0f), u = random_vec(N * F, 2), R = random_vec(N * F, 3);
  std::vector<float> out(N * F);
  auto f = [&] {
    cpu::swiglu_forward(out.data(), g.data(), u.data(), N, F);
    return dot(out, R);
  };
  std::vector<float> dg(N * F), du(N * F);
  cpu::swiglu_backward(dg.data(), du.data(), R.data(), g.data(), u.data(), N, F);
  EXPECT_GRAD_OK(gradcheck(g.data(), dg.data(), N * F, f, kH, 10, 4), "dgate");
  EXPECT_GRAD_OK(gradcheck(u.data(), du.data(), N * F, f, kH, 10, 5), "dup");
}

TEST(OpsGradcheck, Embedding) {
  const int64_t N = 5, C = 4, V = 6;
  std::vector<int32_t> tok = {1, 3, 1, 5, 0};  // token 1 twice: its gradient rows must add up
  auto table = random_vec(V * C, 1), R = random_vec(N * C, 2);
  std::vector<float> out(N * C);
  auto f = [&] {
    cpu::embedding_forward(out.data(), tok.data(), table.data(), N, C);
    return dot(out, R);
  };
  std::vector<float> dt(V * C, 0);
  cpu::embedding_backward(dt.data(), R.data(), tok.data(), N, C);
  EXPECT_GRAD_OK(gradcheck(table.data(), dt.data(), V * C, f, kH, 12, 3), "dtable");
  for (int64_t c = 0; c < C; ++c) EXPECT_EQ(dt[2 * C + c], 0.0f) << "token 2 never appears";
}

// Packed spans of different lengths, GQA (4 query heads on 2 kv heads) and a span longer than one 64-row
// block.
TEST(OpsGradcheck, AttentionPackedGqa) {
  const int64_t H = 4, KV = 2, D = 8, HD = H * D, KVD = KV * D;
  const std::vector<int64_t> lens = {3, 70, 1, 9};
  int64_t N = 0;
  for (auto l : lens) N += l;
  auto q = random_vec(N * HD, 1), k = random_vec(N * KVD, 2), v = random_vec(N * KVD, 3),
       R = random_vec(N * HD, 4);
  std::vector<float> out(N * HD), lse(N * H), dk(N * KVD, 0), dv(N * KVD, 0), dq(N * HD);
  auto spans_for = [&](float* gk, float* gv) {
    std::vector<AttnSpan> s;
    int64_t start = 0;
    for (auto l : lens) {
      AttnSpan sp;
      sp.q_start = start, sp.n_q = l, sp.k = k.data() + start * KVD, sp.v = v.data() + start * KVD,
      sp.n_k = l;
      if (gk) sp.dk = gk + start * KVD, sp.dv = gv + start * KVD;
      s.push_back(sp);
      start += l;
    }
    return s;
  };
  auto f = [&] {
    cpu::attention_forward(out.data(), lse.data(), q.data(), spans_for(nullptr, nullptr), H, KV, D);
    return dot(out, R);
  };
  f();
  cpu::attention_backward(dq.data(), R.data(), q.data(), out.data(), lse.data(),
                          spans_for(dk.data(), dv.data()), H, KV, D);
  EXPECT_GRAD_OK(gradcheck(q.data(), dq.data(), N * HD, f, kH, 16, 5), "dq");
  EXPECT_GRAD_OK(gradcheck(k.data(), dk.data(), N * KVD, f, kH, 16, 6), "dk");
  EXPECT_GRAD_OK(gradcheck(v.data(), dv.data(), N * KVD, f, kH, 16, 7), "dv");
  // Causality: the first token of each span depends only on itself, so out[row 0] = v[row 0] per head.
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t d = 0; d < D; ++d) EXPECT_NEAR(out[h * D + d], v[(h / 2) * D + d], 1e-6);
  }
}

// The cache form: 2 new query rows that see 5 cached keys (query i sees keys 0..3+i).
TEST(OpsGradcheck, AttentionAgainstCachePrefix) {
  const int64_t H = 2, KV = 1, D = 4, nk = 5, nq = 2;
  auto q = random_vec(nq * H * D, 1), k = random_vec(nk * KV * D, 2), v = random_vec(nk * KV * D, 3);
  std::vector<float> out(nq * H * D);
  AttnSpan sp;
  sp.q_start = 0, sp.n_q = nq, sp.k = k.data(), sp.v = v.data(), sp.n_k = nk;
  cpu::attention_forward(out.data(), nullptr, q.data(), {sp}, H, KV, D);
  // Hand reference: softmax over the visible keys, computed directly.
  for (int64_t i = 0; i < nq; ++i) {
    for (int64_t h = 0; h < H; ++h) {
      const int64_t lim = nk - nq + i + 1;
      std::vector<double> s(lim);
      double mx = -1e30, sum = 0;
      for (int64_t j = 0; j < lim; ++j) {
        double acc = 0;
        for (int64_t d = 0; d < D; ++d) acc += q[(i * H + h) * D + d] * k[j * D + d];
        s[j] = acc / std::sqrt(static_cast<double>(D));
        mx = std::max(mx, s[j]);
      }
      for (auto& x : s) sum += (x = std::exp(x - mx));
      for (int64_t d = 0; d < D; ++d) {
        double o = 0;
        for (int64_t j = 0; j < lim; ++j) o += s[j] / sum * v[j * D + d];
        EXPECT_NEAR(out[(i * H + h) * D + d], o, 1e-5);
      }
    }
  }
}

TEST(OpsGradcheck, LmHeadLogprobChunked) {
  const int64_t N = 7, C = 6, V = 11;
  auto hdn = random_vec(N * C, 1), w = random_vec(V * C, 2), R = random_vec(N, 3);
  std::vector<int32_t> tgt = {0, 3, 10, 3, 7, 1, 5};
  LmHeadOptions opt;
  opt.temperature = 0.7f;
  opt.chunk_bytes = 4 * V * 3;  // 3 rows per chunk: 7 rows take three chunks
  std::vector<float> lp(N), ent(N);
  auto f = [&] {
    cpu::lm_head_logprob_forward(lp.data(), ent.data(), hdn.data(), w.data(), tgt.data(), N, C, V, opt);
    return dot(lp, R);
  };
  f();
  // Values: log-softmax and entropy recomputed directly in double.
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> z(V);
    double mx = -1e30, sum = 0, ez = 0;
    for (int64_t j = 0; j < V; ++j) {
      double a = 0;
      for (int64_t c = 0; c < C; ++c) a += hdn[n * C + c] * w[j * C + c];
      z[j] = a / opt.temperature;
      mx = std::max(mx, z[j]);
    }
    for (double x : z) sum += std::exp(x - mx);
    const double lse = mx + std::log(sum);
    for (double x : z) ez += std::exp(x - lse) * x;
    EXPECT_NEAR(lp[n], z[tgt[n]] - lse, 1e-5);
    EXPECT_NEAR(ent[n], lse - ez, 1e-5);
  }
  std::vector<float> dh(N * C, 0), dw(V * C, 0);
  cpu::lm_head_logprob_backward(dh.data(), dw.data(), R.data(), hdn.data(), w.data(), tgt.data(), N, C, V,
                                opt);
  EXPECT_GRAD_OK(gradcheck(hdn.data(), dh.data(), N * C, f, kH, 10, 4), "dhidden");
  EXPECT_GRAD_OK(gradcheck(w.data(), dw.data(), V * C, f, kH, 10, 5), "dweight");
}

}  // namespace

}  // namespace ascent
