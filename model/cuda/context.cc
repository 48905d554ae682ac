#include "model/cuda/context.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/cuda/check.h"

namespace ascent::cuda {

namespace {
constexpr size_t kWorkspaceBytes = 32ull << 20;  // cuBLASLt: enough for any FP32 algorithm it picks

Context& context_storage() {
  static Context c;
  return c;
}

struct Scratch {
  void* p = nullptr;
  size_t bytes = 0;
};
Scratch& scratch_slot(int slot) {
  static Scratch s[kScratchSlots];
  ASCENT_CHECK(slot >= 0 && slot < kScratchSlots, absl::StrCat("scratch slot ", slot));
  return s[slot];
}
}  // namespace

void check_cuda(cudaError_t e, const char* call, const char* file, int line) {
  if (e == cudaSuccess) return;
  ascent_check_fail(file, line, call, absl::StrCat(cudaGetErrorName(e), ": ", cudaGetErrorString(e)));
}

void check_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  ascent_check_fail(file, line, call, absl::StrCat("cuBLAS status ", static_cast<int>(s)));
}

void check_nccl(int result, const char* error, const char* call, const char* file, int line) {
  if (result == 0) return;  // ncclSuccess
  ascent_check_fail(file, line, call, absl::StrCat("NCCL error ", result, ": ", error));
}

void check_failed(const char* cond, const char* hint, const char* file, int line) {
  ascent_check_fail(file, line, cond, hint);
}

bool context_init(int device, std::string* error) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  Context& c = context_storage();
  if (c.device >= 0) {
    if (c.device == device) return true;
    *error = absl::StrCat("this process already runs on cuda:", c.device,
                          " (one CUDA device per process: start one process per GPU)");
    return false;
  }
  int n = 0;
  if (cudaError_t e = cudaGetDeviceCount(&n); e != cudaSuccess) {
    *error = absl::StrCat("no usable CUDA device (", cudaGetErrorString(e), ")");
    return false;
  }
  if (device >= n) {
    *error = absl::StrCat("this machine has ", n, " CUDA device(s)");
    return false;
  }
  ASCENT_CUDA_CHECK(cudaSetDevice(device));
  ASCENT_CUDA_CHECK(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking));
  ASCENT_CUBLAS_CHECK(cublasLtCreate(&c.lt));
  ASCENT_CUDA_CHECK(cudaMalloc(&c.workspace, kWorkspaceBytes));
  c.workspace_bytes = kWorkspaceBytes;
  c.device = device;
  return true;
}

Context& ctx() {
  Context& c = context_storage();
  ASCENT_CHECK(c.device >= 0, "the CUDA backend is used before backend_for(cuda:N) initialised it");
  return c;
}

void* scratch(int slot, size_t bytes) {
  Scratch& s = scratch_slot(slot);
  if (bytes <= s.bytes) return s.p;
  if (s.p != nullptr) {
    ASCENT_CUDA_CHECK(cudaStreamSynchronize(ctx().stream));  // queued kernels may still read the old block
    ASCENT_CUDA_CHECK(cudaFree(s.p));
  }
  memory_note(-static_cast<int64_t>(s.bytes));
  const size_t grown = std::max(bytes, s.bytes * 2);
  ASCENT_CUDA_CHECK(cudaMalloc(&s.p, grown));
  memory_note(static_cast<int64_t>(grown));
  s.bytes = grown;
  return s.p;
}

namespace {
std::atomic<int64_t> g_live{0}, g_peak{0};
}  // namespace

void memory_note(int64_t delta) {
  const int64_t now = g_live.fetch_add(delta) + delta;
  int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

int64_t memory_peak() {
  return g_peak.load();
}

const void* upload(int slot, const void* host, size_t bytes) {
  void* d = scratch(slot, bytes);
  if (bytes > 0) ASCENT_CUDA_CHECK(cudaMemcpyAsync(d, host, bytes, cudaMemcpyHostToDevice, ctx().stream));
  return d;
}

}  // namespace ascent::cuda
