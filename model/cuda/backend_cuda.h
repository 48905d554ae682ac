// The CUDA backend behind model/backend.h's seam: device memory through cudaMalloc, every op and copy queued
// in order on one stream (model/cuda/context.h), the ops of this folder (model/cuda/ops_cuda.h).
#pragma once

#include "absl/status/statusor.h"
#include "model/backend.h"

namespace ascent::cuda {

// The backend of cuda:`index`, created on first use. FailedPrecondition naming the device when it does not
// exist, the runtime finds no GPU, or this process already runs on another CUDA device.
absl::StatusOr<Backend*> backend_cuda(int index);

}  // namespace ascent::cuda
