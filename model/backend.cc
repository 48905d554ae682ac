#include "model/backend.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#ifdef ASCENT_WITH_CUDA
#include "model/cuda/backend_cuda.h"
#include "model/cuda/device_info.h"
#endif

namespace ascent {

std::string device_name(const Device& d) {
  return d.kind == DeviceKind::kCpu ? "cpu" : absl::StrCat("cuda:", d.index);
}

absl::StatusOr<Device> device_parse(std::string_view text) {
  if (text == "cpu") return Device{DeviceKind::kCpu, 0};
  if (text == "cuda") return Device{DeviceKind::kCuda, 0};
  if (text.substr(0, 5) == "cuda:" && text.size() > 5) {
    int index = -1;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data() + 5, end, index);
    if (ec == std::errc() && p == end && index >= 0) return Device{DeviceKind::kCuda, index};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("device \"", std::string(text), "\": expected cpu, cuda or cuda:N"));
}

int device_count(DeviceKind kind) {
  if (kind == DeviceKind::kCpu) return 1;
#ifdef ASCENT_WITH_CUDA
  std::string error;
  return std::max(0, cuda_device_count(&error));
#else
  return 0;
#endif
}

absl::StatusOr<Backend*> backend_for(const Device& d) {
  if (d.kind == DeviceKind::kCpu) return &backend_cpu();
#ifdef ASCENT_WITH_CUDA  // the one place the engine asks whether CUDA is built in
  return cuda::backend_cuda(d.index);
#else
  return absl::FailedPreconditionError(
      absl::StrCat(device_name(d), ": this build has no CUDA backend (configure with -DASCENT_CUDA=ON)"));
#endif
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    release();
    backend_ = std::exchange(o.backend_, nullptr);
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::reserve(Backend& b, size_t bytes) {
  if (&b == backend_ && bytes <= bytes_) return;
  release();
  if (bytes == 0) return;
  backend_ = &b;
  data_ = b.alloc(bytes);
  bytes_ = bytes;
  b.fill_zero(data_, bytes);
}

void DeviceBuffer::release() {
  if (data_ != nullptr) backend_->free(data_);
  data_ = nullptr;
  bytes_ = 0;
}

}  // namespace ascent
