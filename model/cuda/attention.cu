// Causal GQA attention over packed spans, FlashAttention-2 style in FP32: a block holds kRows query rows (one
// warp each) of one head; key/value tiles of kTile rows go through shared memory; each lane scores one key of
// the tile, and the online softmax keeps the running max m and sum l. The backward recomputes
// p = exp(s - lse): dQ row-parallel as the forward, dK/dV key-parallel (one warp per key, summing over all
// query rows and the heads of its group), so no atomics are needed and the result is deterministic.
// An own kernel rather than cuDNN's fused SDPA: cuDNN's attention runs in fp16/bf16 only, and this engine's
// activations are FP32 (docs/engine.md).
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "model/cuda/check.h"
#include "model/cuda/common.cuh"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
constexpr int kRows = 8;   // warps per block: query rows (forward, dQ) or keys (dK/dV)
constexpr int kTile = 32;  // keys (forward, dQ) or query rows (dK/dV) per shared-memory tile
constexpr int kMaxD = 256;
constexpr unsigned kFull = 0xffffffffu;

struct SpanDev {
  int64_t q_start, n_q, n_k;
  const float* k;
  const float* v;
  float* dk;
  float* dv;
};
struct Item {
  int32_t span;
  int32_t first;  // first query row (forward, dQ) or key (dK/dV) of the block, within the span
};

struct Params {
  const SpanDev* spans;
  const Item* items;
  int64_t H, KV, D;
  float scale;
};

__device__ float dot_row(const float* a, const float* b, int64_t D) {
  float acc = 0.0f;
  for (int64_t d = 0; d < D; ++d) acc += a[d] * b[d];
  return acc;
}

// Copies rows [r0, r0 + n) (n <= count) of a [rows, ld]-strided matrix (columns col0..col0+D) into shared
// [count][sld], zero-filling the rows past n.
__device__ void load_tile(float* dst, int64_t sld, const float* src, int64_t ld, int64_t r0, int64_t n,
                          int count, int64_t D) {
  for (int64_t e = threadIdx.x; e < count * D; e += blockDim.x) {
    const int64_t j = e / D, d = e % D;
    dst[j * sld + d] = j < n ? src[(r0 + j) * ld + d] : 0.0f;
  }
}

// The query row that a warp of a row-parallel block (forward, delta, dQ) owns: the block's item and span,
// head h (blockIdx.y) and its kv head g, the row i within the span and in the batch, whether it exists, and
// nvis, the keys any row of the block can see.
struct RowWarp {
  SpanDev sp;
  int64_t h, g, i, shift, row, nvis;
  int w, lane;
  bool valid;
};

__device__ RowWarp row_warp(const Params& P) {
  const Item it = P.items[blockIdx.x];
  RowWarp r;
  r.sp = P.spans[it.span];
  r.h = blockIdx.y, r.g = r.h / (P.H / P.KV);
  r.w = threadIdx.x / kWarp, r.lane = threadIdx.x % kWarp;
  r.i = it.first + r.w, r.shift = r.sp.n_k - r.sp.n_q, r.row = r.sp.q_start + r.i;
  r.valid = r.i < r.sp.n_q;
  r.nvis = r.shift + imin(r.sp.n_q, it.first + kRows);
  return r;
}

// Keys and values [kb, kb + kTile) of kv head g (rows past nvis zero) into shared memory, K with the padded
// stride D + 1 (a lane reads its own key row without bank conflicts), V with stride v_ld; barriers on both
// sides, since the previous tile may still be in use.
__device__ void load_kv_tiles(float* Ks, float* Vs, int64_t v_ld, const SpanDev& sp, int64_t g, int64_t kb,
                              int64_t nvis, const Params& P) {
  const int64_t D = P.D, KVD = P.KV * D, n = imin(kTile, nvis - kb);
  __syncthreads();
  load_tile(Ks, D + 1, sp.k + g * D, KVD, kb, n, kTile, D);
  load_tile(Vs, v_ld, sp.v + g * D, KVD, kb, n, kTile, D);
  __syncthreads();
}

template <int DPL>
__global__ void attn_fwd_kernel(float* out, float* lse, const float* q, Params P) {
  extern __shared__ float sm[];
  const int64_t D = P.D, D1 = D + 1, HD = P.H * D;
  float* Qs = sm;               // [kRows][D]
  float* Ks = Qs + kRows * D;   // [kTile][D+1]
  float* Vs = Ks + kTile * D1;  // [kTile][D]
  const RowWarp rw = row_warp(P);
  const SpanDev& sp = rw.sp;
  const int64_t h = rw.h, g = rw.g, i = rw.i, shift = rw.shift, row = rw.row;
  const int w = rw.w, lane = rw.lane;
  const bool valid = rw.valid;
  if (valid)
    for (int64_t d = lane; d < D; d += kWarp) Qs[w * D + d] = q[row * HD + h * D + d];
  const int64_t nvis = rw.nvis;
  float m = -INFINITY, l = 0.0f, o[DPL] = {};
  for (int64_t kb = 0; kb < nvis; kb += kTile) {
    load_kv_tiles(Ks, Vs, D, sp, g, kb, nvis, P);
    if (!valid || kb > shift + i) continue;
    const int64_t key = kb + lane;
    float s = -INFINITY;
    if (key <= shift + i) s = P.scale * dot_row(Qs + w * D, Ks + lane * D1, D);
    const float m_new = fmaxf(m, warp_max(s));
    const float p = key <= shift + i ? expf(s - m_new) : 0.0f;
    const float corr = expf(m - m_new);
    l = l * corr + warp_sum(p);
#pragma unroll
    for (int t = 0; t < DPL; ++t) o[t] *= corr;
    for (int j = 0; j < kTile; ++j) {
      const float pj = __shfl_sync(kFull, p, j);
#pragma unroll
      for (int t = 0; t < DPL; ++t) {
        const int64_t d = lane + t * kWarp;
        if (d < D) o[t] += pj * Vs[j * D + d];
      }
    }
    m = m_new;
  }
  if (!valid) return;
  const float inv = 1.0f / l;
#pragma unroll
  for (int t = 0; t < DPL; ++t) {
    const int64_t d = lane + t * kWarp;
    if (d < D) out[row * HD + h * D + d] = o[t] * inv;
  }
  if (lse != nullptr && lane == 0) lse[row * P.H + h] = m + logf(l);
}

// delta[row, h] = sum_d dout * out (FlashAttention's D_i), one warp per (row, head).
__global__ void attn_delta_kernel(float* delta, const float* dout, const float* out, Params P) {
  const RowWarp rw = row_warp(P);
  const int64_t h = rw.h, D = P.D, HD = P.H * D, row = rw.row;
  const int lane = rw.lane;
  if (!rw.valid) return;
  float acc = 0.0f;
  for (int64_t d = lane; d < D; d += kWarp) acc += dout[row * HD + h * D + d] * out[row * HD + h * D + d];
  acc = warp_sum(acc);
  if (lane == 0) delta[row * P.H + h] = acc;
}

template <int DPL>
__global__ void attn_dq_kernel(float* dq, const float* dout, const float* q, const float* lse,
                               const float* delta, Params P) {
  extern __shared__ float sm[];
  const int64_t D = P.D, D1 = D + 1, HD = P.H * D;
  float* Qs = sm;               // [kRows][D]
  float* dOs = Qs + kRows * D;  // [kRows][D]
  float* Ks = dOs + kRows * D;  // [kTile][D+1]
  float* Vs = Ks + kTile * D1;  // [kTile][D+1]
  const RowWarp rw = row_warp(P);
  const SpanDev& sp = rw.sp;
  const int64_t h = rw.h, g = rw.g, i = rw.i, shift = rw.shift, row = rw.row;
  const int w = rw.w, lane = rw.lane;
  const bool valid = rw.valid;
  float li = 0.0f, di = 0.0f;
  if (valid) {
    for (int64_t d = lane; d < D; d += kWarp) {
      Qs[w * D + d] = q[row * HD + h * D + d];
      dOs[w * D + d] = dout[row * HD + h * D + d];
    }
    li = lse[row * P.H + h];
    di = delta[row * P.H + h];
  }
  const int64_t nvis = rw.nvis;
  float acc[DPL] = {};
  for (int64_t kb = 0; kb < nvis; kb += kTile) {
    load_kv_tiles(Ks, Vs, D1, sp, g, kb, nvis, P);
    if (!valid || kb > shift + i) continue;
    const int64_t key = kb + lane;
    float ds = 0.0f;
    if (key <= shift + i) {
      const float p = expf(P.scale * dot_row(Qs + w * D, Ks + lane * D1, D) - li);
      ds = p * (dot_row(dOs + w * D, Vs + lane * D1, D) - di);
    }
    for (int j = 0; j < kTile; ++j) {
      const float dsj = __shfl_sync(kFull, ds, j);
#pragma unroll
      for (int t = 0; t < DPL; ++t) {
        const int64_t d = lane + t * kWarp;
        if (d < D) acc[t] += dsj * Ks[j * D1 + d];
      }
    }
  }
  if (!valid) return;
#pragma unroll
  for (int t = 0; t < DPL; ++t) {
    const int64_t d = lane + t * kWarp;
    if (d < D) dq[row * HD + h * D + d] = P.scale * acc[t];
  }
}

template <int DPL>
__global__ void attn_dkdv_kernel(const float* dout, const float* q, const float* lse, const float* delta,
                                 Params P) {
  extern __shared__ float sm[];
  const int64_t D = P.D, D1 = D + 1, HD = P.H * D, KVD = P.KV * D;
  float* Kw = sm;                // [kRows][D]: each warp's key
  float* Vw = Kw + kRows * D;    // [kRows][D]
  float* Qs = Vw + kRows * D;    // [kTile][D+1]
  float* dOs = Qs + kTile * D1;  // [kTile][D+1]
  float* Ls = dOs + kTile * D1;  // [kTile]
  float* Ds = Ls + kTile;        // [kTile]
  const Item it = P.items[blockIdx.x];
  const SpanDev sp = P.spans[it.span];
  const int64_t g = blockIdx.y, rep = P.H / P.KV;
  const int w = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t j = it.first + w, shift = sp.n_k - sp.n_q;
  const bool valid = j < sp.n_k;
  if (valid) {
    for (int64_t d = lane; d < D; d += kWarp) {
      Kw[w * D + d] = sp.k[j * KVD + g * D + d];
      Vw[w * D + d] = sp.v[j * KVD + g * D + d];
    }
  }
  float dk[DPL] = {}, dv[DPL] = {};
  const int64_t i_min = imax(0, it.first - shift);  // rows before this see none of the block's keys
  for (int64_t h = g * rep; h < (g + 1) * rep; ++h) {
    for (int64_t rb = i_min; rb < sp.n_q; rb += kTile) {
      const int64_t n = imin(kTile, sp.n_q - rb);
      __syncthreads();
      load_tile(Qs, D1, q + sp.q_start * HD + h * D, HD, rb, n, kTile, D);
      load_tile(dOs, D1, dout + sp.q_start * HD + h * D, HD, rb, n, kTile, D);
      if (threadIdx.x < kTile) {
        const int64_t r = threadIdx.x;
        Ls[r] = r < n ? lse[(sp.q_start + rb + r) * P.H + h] : 0.0f;
        Ds[r] = r < n ? delta[(sp.q_start + rb + r) * P.H + h] : 0.0f;
      }
      __syncthreads();
      if (!valid || j > shift + rb + n - 1) continue;  // no row of this tile sees key j
      const int64_t i = rb + lane;
      float p = 0.0f, ds = 0.0f;
      if (lane < n && j <= shift + i) {
        p = expf(P.scale * dot_row(Qs + lane * D1, Kw + w * D, D) - Ls[lane]);
        ds = p * (dot_row(dOs + lane * D1, Vw + w * D, D) - Ds[lane]);
      }
      for (int r = 0; r < kTile; ++r) {
        const float pr = __shfl_sync(kFull, p, r), dsr = __shfl_sync(kFull, ds, r);
#pragma unroll
        for (int t = 0; t < DPL; ++t) {
          const int64_t d = lane + t * kWarp;
          if (d < D) {
            dv[t] += pr * dOs[r * D1 + d];
            dk[t] += dsr * Qs[r * D1 + d];
          }
        }
      }
    }
  }
  if (!valid) return;
#pragma unroll
  for (int t = 0; t < DPL; ++t) {
    const int64_t d = lane + t * kWarp;
    if (d < D) {
      sp.dk[j * KVD + g * D + d] += P.scale * dk[t];
      sp.dv[j * KVD + g * D + d] += dv[t];
    }
  }
}

// Spans to device memory (scratch slot 0) and the blocks' items (slot 1): per span, one item per kRows query
// rows (by_keys = false) or keys (true).
Params prepare(const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D, bool by_keys,
               unsigned* n_items) {
  ASCENT_CUDA_REQUIRE(D <= kMaxD && H % KV == 0, "attention: head_dim <= 256 and H a multiple of KV");
  std::vector<SpanDev> sd;
  std::vector<Item> items;
  for (size_t s = 0; s < spans.size(); ++s) {
    const AttnSpan& a = spans[s];
    sd.push_back({a.q_start, a.n_q, a.n_k, a.k, a.v, a.dk, a.dv});
    const int64_t n = by_keys ? a.n_k : a.n_q;
    for (int64_t r = 0; r < n; r += kRows)
      items.push_back({static_cast<int32_t>(s), static_cast<int32_t>(r)});
  }
  *n_items = static_cast<unsigned>(items.size());
  Params P{};
  P.spans = static_cast<const SpanDev*>(upload(0, sd.data(), sd.size() * sizeof(SpanDev)));
  P.items = static_cast<const Item*>(upload(1, items.data(), items.size() * sizeof(Item)));
  P.H = H, P.KV = KV, P.D = D;
  P.scale = 1.0f / std::sqrt(static_cast<float>(D));
  return P;
}

template <typename Kernel, typename... Args>
void launch(Kernel k, dim3 grid, size_t smem, Args... args) {
  if (grid.x == 0 || grid.y == 0) return;
  ASCENT_CUDA_CHECK(
      cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  k<<<grid, kRows * kWarp, smem, ctx().stream>>>(args...);
  ASCENT_CUDA_CHECK_LAUNCH();
}

// Calls f with the register-array width DPL = ceil(D / 32) rounded up to 1, 2, 4 or 8.
template <typename F>
void with_dpl(int64_t D, F&& f) {
  if (D <= 32) {
    f(std::integral_constant<int, 1>{});
  } else if (D <= 64) {
    f(std::integral_constant<int, 2>{});
  } else if (D <= 128) {
    f(std::integral_constant<int, 4>{});
  } else {
    f(std::integral_constant<int, 8>{});
  }
}
}  // namespace

void attention_forward(float* out, float* lse, const float* q, const std::vector<AttnSpan>& spans, int64_t H,
                       int64_t KV, int64_t D) {
  unsigned n = 0;
  const Params P = prepare(spans, H, KV, D, false, &n);
  const size_t smem = static_cast<size_t>(kRows * D + kTile * (D + 1) + kTile * D) * 4;
  with_dpl(D, [&](auto dpl) {
    launch(attn_fwd_kernel<decltype(dpl)::value>, dim3(n, static_cast<unsigned>(H)), smem, out, lse, q, P);
  });
}

void attention_backward(float* dq, const float* dout, const float* q, const float* out, const float* lse,
                        const std::vector<AttnSpan>& spans, int64_t H, int64_t KV, int64_t D) {
  int64_t rows = 0;
  for (const AttnSpan& s : spans) rows = std::max(rows, s.q_start + s.n_q);
  auto* delta = static_cast<float*>(scratch(2, static_cast<size_t>(imax(rows * H, 1)) * 4));
  unsigned n = 0;
  const Params P = prepare(spans, H, KV, D, false, &n);
  if (n > 0) {
    attn_delta_kernel<<<dim3(n, static_cast<unsigned>(H)), kRows * kWarp, 0, ctx().stream>>>(delta, dout, out,
                                                                                             P);
    ASCENT_CUDA_CHECK_LAUNCH();
  }
  const size_t smem_dq = static_cast<size_t>(2 * kRows * D + 2 * kTile * (D + 1)) * 4;
  with_dpl(D, [&](auto dpl) {
    launch(attn_dq_kernel<decltype(dpl)::value>, dim3(n, static_cast<unsigned>(H)), smem_dq, dq, dout, q, lse,
           static_cast<const float*>(delta), P);
  });
  const Params PK = prepare(spans, H, KV, D, true, &n);
  const size_t smem_kv = static_cast<size_t>(2 * kRows * D + 2 * kTile * (D + 1) + 2 * kTile) * 4;
  with_dpl(D, [&](auto dpl) {
    launch(attn_dkdv_kernel<decltype(dpl)::value>, dim3(n, static_cast<unsigned>(KV)), smem_kv, dout, q, lse,
           static_cast<const float*>(delta), PK);
  });
}

}  // namespace ascent::cuda
