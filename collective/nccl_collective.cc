#include "collective/nccl_collective.h"

#include "absl/strings/str_cat.h"

#ifdef ASCENT_WITH_NCCL
#include <nccl.h>

#include <cstring>
#include <string>

#include "model/cuda/check.h"
#include "model/cuda/context.h"

#define ASCENT_NCCL_CHECK(call)                                                                              \
  do {                                                                                                       \
    const ncclResult_t r_ = (call);                                                                          \
    ::ascent::cuda::check_nccl(static_cast<int>(r_), r_ == ncclSuccess ? "" : ncclGetErrorString(r_), #call, \
                               __FILE__, __LINE__);                                                          \
  } while (0)
#endif

namespace ascent {

#ifdef ASCENT_WITH_NCCL
namespace {

class NcclCollective final : public Collective {
 public:
  NcclCollective(Collective& host, ncclComm_t comm) : host_(host), comm_(comm) {}
  ~NcclCollective() override { ncclCommDestroy(comm_); }
  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  void abort(int code) override { host_.abort(code); }
  bool device_memory() const override { return true; }
  void allreduce_sum(float* data, int64_t n) override {
    if (n == 0) return;
    ASCENT_NCCL_CHECK(ncclAllReduce(data, data, static_cast<size_t>(n), ncclFloat, ncclSum, comm_, stream()));
  }
  void allreduce_sum(double* data, int64_t n) override { host_.allreduce_sum(data, n); }
  void allreduce_max(double* data, int64_t n) override { host_.allreduce_max(data, n); }
  void reduce_scatter_sum(float* data, int64_t n) override {
    if (n == 0) return;
    const int P = size();
    if (n % P == 0) {
      const size_t count = static_cast<size_t>(n / P);
      ASCENT_NCCL_CHECK(
          ncclReduceScatter(data, data + rank() * n / P, count, ncclFloat, ncclSum, comm_, stream()));
      return;
    }
    ASCENT_NCCL_CHECK(ncclGroupStart());
    for (int r = 0; r < P; ++r) {
      const Shard s = collective_shard(n, r, P);
      if (s.size() == 0) continue;
      ASCENT_NCCL_CHECK(ncclReduce(data + s.begin, data + s.begin, static_cast<size_t>(s.size()), ncclFloat,
                                   ncclSum, r, comm_, stream()));
    }
    ASCENT_NCCL_CHECK(ncclGroupEnd());
  }
  void all_gather(float* data, int64_t n) override {
    if (n == 0) return;
    const int P = size();
    if (n % P == 0) {
      const size_t count = static_cast<size_t>(n / P);
      ASCENT_NCCL_CHECK(ncclAllGather(data + rank() * n / P, data, count, ncclFloat, comm_, stream()));
      return;
    }
    ASCENT_NCCL_CHECK(ncclGroupStart());
    for (int r = 0; r < P; ++r) {
      const Shard s = collective_shard(n, r, P);
      if (s.size() == 0) continue;
      ASCENT_NCCL_CHECK(ncclBroadcast(data + s.begin, data + s.begin, static_cast<size_t>(s.size()),
                                      ncclFloat, r, comm_, stream()));
    }
    ASCENT_NCCL_CHECK(ncclGroupEnd());
  }
  void gather_shards(const float* shard, float* full, int64_t n, int root) override {
    host_.gather_shards(shard, full, n, root);
  }
  void broadcast(std::string* data, int root) override { host_.broadcast(data, root); }
  void barrier() override {
    ASCENT_CUDA_CHECK(cudaStreamSynchronize(stream()));
    host_.barrier();
  }

 private:
  static cudaStream_t stream() { return cuda::ctx().stream; }
  Collective& host_;
  ncclComm_t comm_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Collective>> collective_nccl(Collective& host) {
  ncclUniqueId id;
  std::string bytes;
  ncclResult_t made = ncclSuccess;
  if (host.rank() == 0) {
    made = ncclGetUniqueId(&id);
    if (made == ncclSuccess) bytes.assign(reinterpret_cast<const char*>(&id), sizeof(id));
  }
  host.broadcast(&bytes, 0);  // also on failure (empty): the other ranks must not wait for it
  if (made != ncclSuccess)
    return absl::InternalError(absl::StrCat("ncclGetUniqueId: ", ncclGetErrorString(made)));
  if (bytes.size() != sizeof(id))
    return absl::InternalError("the ncclUniqueId from rank 0 has the wrong size");
  std::memcpy(&id, bytes.data(), sizeof(id));
  cuda::ctx();  // the device is chosen (and checked) before the communicator binds to it
  ncclComm_t comm = nullptr;
  if (ncclResult_t r = ncclCommInitRank(&comm, host.size(), id, host.rank()); r != ncclSuccess) {
    return absl::InternalError(absl::StrCat("ncclCommInitRank (rank ", host.rank(), " of ", host.size(),
                                            "): ", ncclGetErrorString(r)));
  }
  return std::unique_ptr<Collective>(std::make_unique<NcclCollective>(host, comm));
}
#else
absl::StatusOr<std::unique_ptr<Collective>> collective_nccl(Collective&) {
  return absl::UnimplementedError("this build has no NCCL (a CUDA build finds it beside the CUDA toolkit)");
}
#endif

}  // namespace ascent
