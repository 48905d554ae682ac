// The CPU backend: host memory and the reference ops of this folder behind model/backend.h's interface.
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/adamw.h"
#include "model/backend.h"
#include "model/cpu/attention.h"
#include "model/cpu/elementwise.h"
#include "model/cpu/embedding.h"
#include "model/cpu/linear.h"
#include "model/cpu/lm_head.h"
#include "model/cpu/rmsnorm.h"
#include "model/cpu/rope.h"
#include "model/cpu/swiglu.h"

namespace ascent {
namespace {

constexpr size_t kAlign = 64;  // a cache line; AVX-512 loads

const BackendOps kCpuOps = {
    .embedding_forward = cpu::embedding_forward,
    .embedding_backward = cpu::embedding_backward,
    .rmsnorm_forward = cpu::rmsnorm_forward,
    .rmsnorm_backward = cpu::rmsnorm_backward,
    .rope_forward = cpu::rope_forward,
    .rope_backward = cpu::rope_backward,
    .linear_forward = cpu::linear_forward,
    .linear_backward = cpu::linear_backward,
    .swiglu_forward = cpu::swiglu_forward,
    .swiglu_backward = cpu::swiglu_backward,
    .attention_forward = cpu::attention_forward,
    .attention_backward = cpu::attention_backward,
    .lm_head_logprob_forward = cpu::lm_head_logprob_forward,
    .lm_head_logprob_backward = cpu::lm_head_logprob_backward,
    .lm_head_logits = cpu::lm_head_logits,
    .add_inplace = cpu::add_inplace,
    .gather_rows = cpu::gather_rows,
    .scatter_rows = cpu::scatter_rows,
    .adamw_update = adamw_update,
    .sum_squares = grad_sum_squares,
    .scale = grad_scale,
};

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device{DeviceKind::kCpu, 0}; }
  bool host_memory() const override { return true; }
  void* alloc(size_t bytes) override {
    void* p = std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
    ASCENT_CHECK(p != nullptr, absl::StrCat("out of host memory allocating ", bytes, " bytes"));
    return p;
  }
  void free(void* p) override { std::free(p); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void fill_zero(void* p, size_t bytes) override { std::memset(p, 0, bytes); }
  void synchronize() override {}
  const BackendOps& ops() const override { return kCpuOps; }
};

}  // namespace

Backend& backend_cpu() {
  static CpuBackend backend;
  return backend;
}

}  // namespace ascent
