// Collective operations between learner ranks: one interface, a single-process implementation and MPI for
// data-parallel CPU learners (NCCL will implement the same interface for GPUs). Every rank calls every
// operation in the same order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ascent {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place, every rank gets the element-wise sum (or max).
  virtual void allreduce_sum(float* data, int64_t n) = 0;
  virtual void allreduce_sum(double* data, int64_t n) = 0;
  virtual void allreduce_max(double* data, int64_t n) = 0;
  // Root's bytes to every rank (others' *data is replaced).
  virtual void broadcast(std::string* data, int root) = 0;
  virtual void barrier() = 0;
};

// size 1: every operation leaves the data as it is.
std::unique_ptr<Collective> collective_local();
// MPI_COMM_WORLD (MPI_Init on first use; MPI_Finalize at exit). An error when built without MPI.
absl::StatusOr<std::unique_ptr<Collective>> collective_mpi();
// MPI when the process was started by mpirun with more than one rank, else local.
absl::StatusOr<std::unique_ptr<Collective>> collective_from_environment();

}  // namespace ascent
