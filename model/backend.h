// The engine's backend seam, in the spirit of ggml's backend interface: a Backend owns memory on one device
// (alloc, free, copies in and out) and fills the op table of model/ops.h. The transformer allocates its
// activations and KV cache as DeviceBuffers of the model's backend and calls only that table, so one code path
// serves every device. The CPU backend (model/cpu/) is the trusted reference and the default; the CUDA
// backend (model/cuda/, next) implements the same interface.
//
// Memory: a backend whose memory is host memory (host_memory() == true) accepts host pointers in its ops,
// so the engine passes its host inputs and outputs without copies there; on any other backend it copies them
// in and out (device_input / device_output below).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/ops.h"

namespace ascent {

enum class DeviceKind { kCpu, kCuda };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;  // cuda:N; 0 for the CPU
  bool operator==(const Device&) const = default;
};

// "cpu", "cuda:0".
std::string device_name(const Device& d);
// "cpu", "cuda" (= cuda:0) or "cuda:N". InvalidArgument naming the text otherwise.
absl::StatusOr<Device> device_parse(std::string_view text);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual bool host_memory() const = 0;
  // bytes > 0; aborts with the size on exhaustion (as std::vector's allocation would throw).
  virtual void* alloc(size_t bytes) = 0;
  virtual void free(void* p) = 0;
  virtual void copy_to_device(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // both in this backend's memory
  virtual void fill_zero(void* p, size_t bytes) = 0;
  // Waits until queued work is done (a CUDA stream); the CPU backend runs every op to completion.
  virtual void synchronize() = 0;
  virtual const BackendOps& ops() const = 0;
  // Most bytes of this backend's memory in use at once so far (allocations and op scratch); 0 where the
  // backend does not count (the CPU: see the process's peak RSS instead).
  virtual int64_t peak_bytes() const { return 0; }
};

// The CPU backend: host memory (64-byte aligned), the ops of model/cpu/ (OpenMP + OpenBLAS).
Backend& backend_cpu();

// Number of devices of a kind this build and machine can use: 1 for the CPU; CUDA GPUs (0 without CUDA).
int device_count(DeviceKind kind);

// The backend of a device: the CPU always; cuda:N is the CUDA backend (model/cuda/backend_cuda.h), or
// FailedPrecondition naming the device when this build has no CUDA or the machine no such GPU.
absl::StatusOr<Backend*> backend_for(const Device& d);

// Memory of one backend that grows on demand and is reused: ensure() returns at least n elements, allocating
// (zero-filled) only when the capacity is too small or the backend differs; the contents are not kept
// across a reallocation. Move-only; frees on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  template <typename T>
  T* ensure(Backend& b, int64_t n) {
    reserve(b, static_cast<size_t>(n) * sizeof(T));
    return static_cast<T*>(data_);
  }
  template <typename T>
  T* data() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }
  Backend* backend() const { return backend_; }

 private:
  void reserve(Backend& b, size_t bytes);
  void release();
  Backend* backend_ = nullptr;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// n elements at `host` as the backend sees them: `host` itself on a host-memory backend, else a copy in
// `scratch`.
template <typename T>
const T* device_input(Backend& b, const T* host, int64_t n, DeviceBuffer& scratch) {
  if (b.host_memory() || n == 0) return host;
  T* d = scratch.ensure<T>(b, n);
  b.copy_to_device(d, host, static_cast<size_t>(n) * sizeof(T));
  return d;
}

// Where an op should write n elements that the caller wants at `host`: `host` itself on a host-memory
// backend, else `scratch` (copy it out with device_output_done).
template <typename T>
T* device_output(Backend& b, T* host, int64_t n, DeviceBuffer& scratch) {
  return b.host_memory() ? host : scratch.ensure<T>(b, n);
}
template <typename T>
void device_output_done(Backend& b, T* host, const T* written, int64_t n) {
  if (written != host && n > 0) b.copy_to_host(host, written, static_cast<size_t>(n) * sizeof(T));
}

}  // namespace ascent
