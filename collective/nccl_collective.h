// NCCL for GPU learner ranks (NVIDIA's collective library: the well-kept choice for GPU all-reduce). The
// float operations that carry gradients and parameters (allreduce_sum(float*), reduce_scatter_sum,
// all_gather) run on device memory with NCCL, queued on the CUDA backend's stream (model/cuda/context.h), so
// they order with the backward and the optimiser's kernels; the small host operations (doubles, strings,
// gather_shards of host arrays, barrier) go to the host Collective (MPI), which also hands out the
// ncclUniqueId: rank 0 makes it and broadcasts it, every rank joins the communicator with it.
// Shards: ZeRO-1's shards (collective_shard) differ in size by one when size does not divide n; then the
// reduce-scatter is one ncclReduce per shard (root = its owner) and the all-gather one ncclBroadcast per
// shard, grouped (ncclGroupStart/End); otherwise ncclReduceScatter and ncclAllGather, in place.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "collective/collective.h"

namespace ascent {

// A communicator over the host Collective's ranks on this process's CUDA device (the CUDA backend must be
// initialised first: backend_for(cuda:N)). `host` must outlive the result. Errors: a build without NCCL
// (Unimplemented), or NCCL failing to initialise (Internal, with NCCL's message).
absl::StatusOr<std::unique_ptr<Collective>> collective_nccl(Collective& host);

}  // namespace ascent
