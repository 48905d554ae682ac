#include "model/cuda/backend_cuda.h"

#include <cuda_runtime.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/cuda/check.h"
#include "model/cuda/context.h"
#include "model/cuda/ops_cuda.h"

namespace ascent::cuda {

namespace {
const BackendOps kCudaOps = {
    .embedding_forward = embedding_forward,
    .embedding_backward = embedding_backward,
    .rmsnorm_forward = rmsnorm_forward,
    .rmsnorm_backward = rmsnorm_backward,
    .rope_forward = rope_forward,
    .rope_backward = rope_backward,
    .linear_forward = linear_forward,
    .linear_backward = linear_backward,
    .swiglu_forward = swiglu_forward,
    .swiglu_backward = swiglu_backward,
    .attention_forward = attention_forward,
    .attention_backward = attention_backward,
    .lm_head_logprob_forward = lm_head_logprob_forward,
    .lm_head_logprob_backward = lm_head_logprob_backward,
    .lm_head_logits = lm_head_logits,
    .add_inplace = add_inplace,
    .gather_rows = gather_rows,
    .scatter_rows = scatter_rows,
    .adamw_update = adamw_update,
    .sum_squares = sum_squares,
    .scale = scale,
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index) : index_(index) {}
  Device device() const override { return Device{DeviceKind::kCuda, index_}; }
  bool host_memory() const override { return false; }
  void* alloc(size_t bytes) override {
    void* p = nullptr;
    if (cudaError_t e = cudaMalloc(&p, bytes); e != cudaSuccess) {
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      ASCENT_CHECK(false, absl::StrCat("cuda:", index_, ": out of device memory allocating ", bytes,
                                       " bytes (", free_b >> 20, " MiB free of ", total_b >> 20,
                                       " MiB): ", cudaGetErrorString(e)));
    }
    std::lock_guard<std::mutex> lock(mu_);
    sizes_[p] = bytes;
    memory_note(static_cast<int64_t>(bytes));
    return p;
  }
  void free(void* p) override {
    ASCENT_CUDA_CHECK(cudaFree(p));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(p);
    ASCENT_CHECK(it != sizes_.end(), "cuda free of memory this backend did not allocate");
    memory_note(-static_cast<int64_t>(it->second));
    sizes_.erase(it);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    ASCENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx().stream));
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    ASCENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx().stream));
    synchronize();
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    ASCENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx().stream));
  }
  void fill_zero(void* p, size_t bytes) override {
    ASCENT_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, ctx().stream));
  }
  void synchronize() override { ASCENT_CUDA_CHECK(cudaStreamSynchronize(ctx().stream)); }
  const BackendOps& ops() const override { return kCudaOps; }
  int64_t peak_bytes() const override { return memory_peak(); }

 private:
  int index_;
  std::mutex mu_;
  std::unordered_map<void*, size_t> sizes_;
};
}  // namespace

absl::StatusOr<Backend*> backend_cuda(int index) {
  std::string error;
  if (!context_init(index, &error)) {
    return absl::FailedPreconditionError(absl::StrCat("cuda:", index, ": ", error));
  }
  static CudaBackend backend(index);  // context_init admits one device per process
  return &backend;
}

}  // namespace ascent::cuda
