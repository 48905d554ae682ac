// Collective operations between learner ranks: one interface, a single-process implementation, MPI for
// data-parallel CPU learners and NCCL for GPU learners (collective/nccl_collective.h). Every rank calls every
// operation in the same order. The sharded operations (ZeRO-1, learner/optimizer.h) split n elements into
// one contiguous shard per rank (collective_shard).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ascent {

// A rank's shard of n elements, [begin, end): contiguous, in rank order, sizes differing by at most one (the
// first n % size ranks hold one more). A rank may hold none when n < size.
struct Shard {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
Shard collective_shard(int64_t n, int rank, int size);

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Where the float buffers of allreduce_sum(float*), reduce_scatter_sum and all_gather live: host memory
  // (false: local, MPI) or the GPU's memory (true: NCCL, queued on the CUDA backend's stream). Doubles,
  // strings and gather_shards always take host memory.
  virtual bool device_memory() const { return false; }
  // In place, every rank gets the element-wise sum (or max).
  virtual void allreduce_sum(float* data, int64_t n) = 0;
  virtual void allreduce_sum(double* data, int64_t n) = 0;
  virtual void allreduce_max(double* data, int64_t n) = 0;
  // In place, ZeRO's reduce-scatter: on return this rank's shard of data[0, n) holds the element-wise sum over
  // ranks of that shard; the rest of data is unspecified.
  virtual void reduce_scatter_sum(float* data, int64_t n) = 0;
  // In place, ZeRO's all-gather: every rank's shard of data[0, n) (what that rank holds there) goes to every
  // rank.
  virtual void all_gather(float* data, int64_t n) = 0;
  // Every rank's shard (`shard`: this rank's collective_shard(n) elements) into `full` [n] on root; `full` is
  // read on root only (may be null elsewhere).
  virtual void gather_shards(const float* shard, float* full, int64_t n, int root) = 0;
  // Root's bytes to every rank (others' *data is replaced).
  virtual void broadcast(std::string* data, int root) = 0;
  virtual void barrier() = 0;
  // Ends every rank's process with `code` (MPI_Abort): a rank that fails alone must not exit normally, since
  // MPI_Finalize at exit would wait for ranks that wait in a collective for it (a hang, seen with a resume
  // that found no checkpoint on rank 0). Size 1: returns.
  virtual void abort(int code) {}
};

// size 1: every operation leaves the data as it is.
std::unique_ptr<Collective> collective_local();
// MPI_COMM_WORLD (MPI_Init on first use; MPI_Finalize at exit). An error when built without MPI.
absl::StatusOr<std::unique_ptr<Collective>> collective_mpi();
// MPI when the process was started by mpirun with more than one rank, else local.
absl::StatusOr<std::unique_ptr<Collective>> collective_from_environment();

}  // namespace ascent
