// The process's CUDA context for the backend's ops: one device (a process drives one GPU, as one NCCL rank
// does), one stream on which every op and copy is queued in order, a cuBLASLt handle with its workspace, and
// grow-only device scratch for ops' temporaries. The ops of this folder are free functions (the op table of
// model/ops.h holds plain function pointers), so they reach these through ctx().
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ascent::cuda {

struct Context {
  int device = -1;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* workspace = nullptr;  // cuBLASLt's workspace
  size_t workspace_bytes = 0;
};

// Initialises the context on `device` once per process. false with the reason in *error when the device does
// not exist or the runtime fails; asking again for another device is refused (one device per process).
bool context_init(int device, std::string* error);
// The initialised context; aborts if context_init has not succeeded.
Context& ctx();

// Scratch slot `slot` (0..kScratchSlots-1) of at least `bytes` bytes of device memory, reused across ops.
// Growing it waits for the stream, then frees the old block, so no queued op still reads it. Work queued on
// the stream keeps its order, so an op may reuse a slot that an earlier op used.
// Threads: the ops, slots and stream are the process's; they are called from one host thread at a time (the
// learner's and the scorer's loops are single-threaded over the model), and nothing here locks.
constexpr int kScratchSlots = 4;
void* scratch(int slot, size_t bytes);
// Copies `bytes` of host data into scratch slot `slot` on the stream and returns the device pointer. The host
// data must be pageable memory (a std::vector's), which may be freed once this returns: the runtime stages a
// pageable copy before the call returns. (Pinned memory would be read later, by the DMA engine.)
const void* upload(int slot, const void* host, size_t bytes);

// Device memory taken through the backend and the scratch slots: note every allocation (+bytes) and free
// (-bytes); peak is the most in use at once.
void memory_note(int64_t delta);
int64_t memory_peak();

}  // namespace ascent::cuda
