#include "collective/collective.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#ifdef ASCENT_WITH_MPI
#include <mpi.h>
#endif

#include "absl/strings/str_cat.h"

namespace ascent {

Shard collective_shard(int64_t n, int rank, int size) {
  const int64_t base = n / size, extra = n % size;
  Shard s;
  s.begin = rank * base + std::min<int64_t>(rank, extra);
  s.end = s.begin + base + (rank < extra ? 1 : 0);
  return s;
}

namespace {

class LocalCollective final : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(float*, int64_t) override {}
  void allreduce_sum(double*, int64_t) override {}
  void allreduce_max(double*, int64_t) override {}
  void reduce_scatter_sum(float*, int64_t) override {}
  void all_gather(float*, int64_t) override {}
  void gather_shards(const float* shard, float* full, int64_t n, int) override {
    if (full != shard && n > 0) std::memmove(full, shard, static_cast<size_t>(n) * sizeof(float));
  }
  void broadcast(std::string*, int) override {}
  void barrier() override {}
};

#ifdef ASCENT_WITH_MPI
// MPI counts are int: long buffers go in chunks.
constexpr int64_t kChunk = 1 << 28;

class MpiCollective final : public Collective {
 public:
  MpiCollective() {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit([] {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Finalize();
      });
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void abort(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }
  void allreduce_sum(float* data, int64_t n) override { reduce(data, n, MPI_FLOAT, MPI_SUM); }
  void allreduce_sum(double* data, int64_t n) override { reduce(data, n, MPI_DOUBLE, MPI_SUM); }
  void allreduce_max(double* data, int64_t n) override { reduce(data, n, MPI_DOUBLE, MPI_MAX); }
  void broadcast(std::string* data, int root) override {
    int64_t n = static_cast<int64_t>(data->size());
    MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD);
    data->resize(static_cast<size_t>(n));
    for (int64_t at = 0; at < n; at += kChunk) {
      MPI_Bcast(data->data() + at, static_cast<int>(std::min(kChunk, n - at)), MPI_BYTE, root,
                MPI_COMM_WORLD);
    }
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  // One reduce (all-gather: one broadcast) per rank's shard, rooted at its owner: the same shards as
  // collective_shard and no int-count limit (chunks of kChunk).
  void reduce_scatter_sum(float* data, int64_t n) override {
    for (int r = 0; r < size_; ++r) {
      const Shard s = collective_shard(n, r, size_);
      for (int64_t at = s.begin; at < s.end; at += kChunk) {
        const int count = static_cast<int>(std::min(kChunk, s.end - at));
        MPI_Reduce(r == rank_ ? MPI_IN_PLACE : data + at, data + at, count, MPI_FLOAT, MPI_SUM, r,
                   MPI_COMM_WORLD);
      }
    }
  }
  void all_gather(float* data, int64_t n) override {
    for (int r = 0; r < size_; ++r) {
      const Shard s = collective_shard(n, r, size_);
      for (int64_t at = s.begin; at < s.end; at += kChunk) {
        MPI_Bcast(data + at, static_cast<int>(std::min(kChunk, s.end - at)), MPI_FLOAT, r, MPI_COMM_WORLD);
      }
    }
  }
  void gather_shards(const float* shard, float* full, int64_t n, int root) override {
    for (int r = 0; r < size_; ++r) {
      const Shard s = collective_shard(n, r, size_);
      for (int64_t at = s.begin; at < s.end; at += kChunk) {
        const int count = static_cast<int>(std::min(kChunk, s.end - at));
        const float* mine = shard + (at - s.begin);
        if (r == root && rank_ == root) {
          std::memmove(full + at, mine, static_cast<size_t>(count) * sizeof(float));
        } else if (rank_ == r) {
          MPI_Send(mine, count, MPI_FLOAT, root, 0, MPI_COMM_WORLD);
        } else if (rank_ == root) {
          MPI_Recv(full + at, count, MPI_FLOAT, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
      }
    }
  }

 private:
  template <typename T>
  void reduce(T* data, int64_t n, MPI_Datatype type, MPI_Op op) {
    for (int64_t at = 0; at < n; at += kChunk) {
      MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kChunk, n - at)), type, op,
                    MPI_COMM_WORLD);
    }
  }
  int rank_ = 0, size_ = 1;
};
#endif

}  // namespace

std::unique_ptr<Collective> collective_local() {
  return std::make_unique<LocalCollective>();
}

absl::StatusOr<std::unique_ptr<Collective>> collective_mpi() {
#ifdef ASCENT_WITH_MPI
  return std::unique_ptr<Collective>(std::make_unique<MpiCollective>());
#else
  return absl::UnimplementedError("this build has no MPI (install libopenmpi-dev and reconfigure)");
#endif
}

absl::StatusOr<std::unique_ptr<Collective>> collective_from_environment() {
  const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (!n) n = std::getenv("PMI_SIZE");
  if (n && std::atoi(n) > 1) return collective_mpi();
  return collective_local();
}

}  // namespace ascent
