#include "model/cuda/gemm.h"

#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/cuda/check.h"
#include "model/cuda/context.h"

namespace ascent::cuda {

namespace {
// A column-major product's descriptors and the algorithm cuBLASLt's heuristic chose, made once per shape.
struct Plan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
};
using Key = std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, uint32_t, uint32_t,
                       uint32_t>;

// The largest power of two (at most 256) dividing the address: cuBLASLt's heuristic assumes 256-byte aligned
// operands unless told less, and the engine passes row offsets into buffers (4-byte aligned at worst).
uint32_t alignment(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t al = 256;
  while (al > 4 && a % al != 0) al /= 2;
  return al;
}

constexpr size_t kMaxPlans = 4096;

void destroy(Plan& p) {
  cublasLtMatrixLayoutDestroy(p.a);
  cublasLtMatrixLayoutDestroy(p.b);
  cublasLtMatrixLayoutDestroy(p.c);
  cublasLtMatmulDescDestroy(p.op);
}

cublasLtMatrixLayout_t layout(int64_t rows, int64_t cols, int64_t ld) {
  cublasLtMatrixLayout_t l = nullptr;
  ASCENT_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&l, CUDA_R_32F, static_cast<uint64_t>(rows),
                                                 static_cast<uint64_t>(cols), ld));
  return l;
}

// Column-major C[m,n] = op(A) op(B), A stored [m,k] (or [k,m] with ta), B [k,n] (or [n,k] with tb).
const Plan& plan_for(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc,
                     uint32_t al_a, uint32_t al_b, uint32_t al_c) {
  static std::mutex mu;
  static std::map<Key, Plan> plans;
  std::lock_guard<std::mutex> lock(mu);
  const Key key{ta, tb, m, n, k, lda, ldb, ldc, al_a, al_b, al_c};
  if (auto it = plans.find(key); it != plans.end()) return it->second;
  if (plans.size() >=
      kMaxPlans) {  // packed batches of ever new token counts: start over, never grow unbounded
    for (auto& [k, old] : plans) destroy(old);
    plans.clear();
  }
  Plan p;
  ASCENT_CUBLAS_CHECK(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  ASCENT_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &opa, sizeof(opa)));
  ASCENT_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &opb, sizeof(opb)));
  p.a = ta ? layout(k, m, lda) : layout(m, k, lda);
  p.b = tb ? layout(n, k, ldb) : layout(k, n, ldb);
  p.c = layout(m, n, ldc);
  cublasLtMatmulPreference_t pref = nullptr;
  ASCENT_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  const size_t ws = ctx().workspace_bytes;
  ASCENT_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> aligns[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, al_a},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, al_b},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, al_c},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, al_c}};
  for (const auto& [attr, al] : aligns)
    ASCENT_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &al, sizeof(al)));
  cublasLtMatmulHeuristicResult_t h{};
  int found = 0;
  ASCENT_CUBLAS_CHECK(
      cublasLtMatmulAlgoGetHeuristic(ctx().lt, p.op, p.a, p.b, p.c, p.c, pref, 1, &h, &found));
  ASCENT_CHECK(found > 0, absl::StrCat("cuBLASLt has no FP32 algorithm for m=", m, " n=", n, " k=", k));
  ASCENT_CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
  p.algo = h.algo;
  return plans.emplace(key, p).first->second;
}
}  // namespace

void gemm_rm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
             int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // an empty sum: C = beta * C (cuBLASLt takes no k = 0); the engine uses beta 0 or 1 only
    ASCENT_CHECK(beta == 0.0f || beta == 1.0f, "gemm_rm with K = 0 supports beta 0 or 1");
    if (beta == 0.0f) {
      ASCENT_CUDA_CHECK(cudaMemset2DAsync(C, static_cast<size_t>(ldc) * 4, 0, static_cast<size_t>(N) * 4,
                                          static_cast<size_t>(M), ctx().stream));
    }
    return;
  }
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  const Plan& p =
      plan_for(trans_b, trans_a, N, M, K, ldb, lda, ldc, alignment(B), alignment(A), alignment(C));
  Context& c = ctx();
  ASCENT_CUBLAS_CHECK(cublasLtMatmul(c.lt, p.op, &alpha, B, p.a, A, p.b, &beta, C, p.c, C, p.c, &p.algo,
                                     c.workspace, c.workspace_bytes, c.stream));
}

}  // namespace ascent::cuda
