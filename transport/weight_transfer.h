// Versioned weights from the learner to the actors in checksummed buckets (proto/weights.proto). Plain
// classes; weight_server.h and weight_client.h are the thin gRPC adapters.
//  - WeightPublisher (learner): publish(version, params) snapshots the flat parameter vector into buckets of
//    at most bucket_bytes, as fp32 or bf16 (round to nearest even), each with a CRC-32 (zlib's polynomial, core/crc32.h) of its bytes.
//    With a shared-memory directory the snapshot lives in a file there (weight_shm.h) that actors on the
//    same host map; the manifest names it. Where that file cannot be made (a full /dev/shm), that version
//    stays in the heap, shm_error() says why (until a later version makes it), and actors fetch over gRPC.
//  - weights_receive (actor): fetches every bucket through a callback, verifies the checksum and the header,
//    asks again (up to `retries` times) for a bucket that does not match, and writes the parameters. A
//    version that changed under it (NOT_FOUND) is returned as is: the caller starts over from the manifest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "transport/weight_shm.h"

namespace ascent {

enum class WireDType { kF32 = 0, kBF16 = 1 };

// The largest bucket message (run.weight_bucket_mb is at most 1024) with its header.
inline constexpr int kMaxBucketMessageBytes = (1024 << 20) + (1 << 20);

struct WeightManifest {
  int64_t version = -1, buckets = 0, numel = 0;
  WireDType dtype = WireDType::kBF16;
  std::string shm_path;  // the snapshot's shared-memory file ("" = none; weight_shm.h)
  uint64_t shm_nonce = 0;
};

struct WeightBucket {
  int64_t version = 0, index = 0, offset = 0, numel = 0;
  WireDType dtype = WireDType::kBF16;
  // The bytes: `data`, or, when `view` is set, a view into memory that `keep` (or the reader that handed
  // the bucket out) holds: the publisher's snapshot, a mapped file. bytes() is whichever it is.
  std::string data;
  std::string_view view;
  std::shared_ptr<const void> keep;
  uint32_t crc32 = 0;
  std::string_view bytes() const { return view.data() != nullptr ? view : std::string_view(data); }
};

uint32_t weights_crc32(const std::string& data);
uint32_t weights_crc32(const char* data, int64_t bytes);

class WeightPublisher {
 public:
  // shm_dir: "" keeps snapshots in the heap; else (kWeightShmDir) in a file there.
  WeightPublisher(int64_t bucket_bytes, WireDType dtype, std::string shm_dir = "");
  ~WeightPublisher();
  void publish(int64_t version, const float* params, int64_t numel);
  absl::StatusOr<WeightManifest> manifest() const;
  absl::StatusOr<WeightBucket> bucket(int64_t version, int64_t index) const;
  // The bytes of the published version's buckets (what one actor fetches for it).
  int64_t published_bytes() const;
  // Why the latest snapshot is not in shared memory although a directory was given ("" when it is, or none
  // was).
  std::string shm_error() const;

  struct Snapshot;  // the wire bytes of every bucket, their table, and what holds them (heap or file)

 private:
  mutable absl::Mutex mu_;
  const int64_t bucket_bytes_;
  const WireDType dtype_;
  const std::string shm_dir_;
  std::string shm_error_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Snapshot> snap_ ABSL_GUARDED_BY(mu_);
};

struct ReceiveStats {
  int64_t buckets = 0, rejected = 0, bytes = 0;
};

using BucketFetch = std::function<absl::StatusOr<WeightBucket>(int64_t version, int64_t index)>;

// `workers` threads (this one among them) take the buckets in turn, each fetching, checking and writing its
// own, so that one bucket is converted while the next is on the wire: `fetch` is called from several
// threads at once. Stats are added to *stats.
absl::Status weights_receive(const WeightManifest& m, const BucketFetch& fetch, float* params, int64_t numel,
                             int retries = 3, ReceiveStats* stats = nullptr, int workers = 4);

// An actor's view of the learner's shared-memory snapshot: open() maps m.shm_path and checks its header
// against the manifest (version, nonce, numel, dtype, bucket count); bucket() hands out a bucket as the
// gRPC fetch would (weights_receive checks it the same way). Errors from open(): the file is not here
// (another host: UNAVAILABLE) or does not match (DATA_LOSS, FAILED_PRECONDITION): fetch over gRPC instead.
class WeightShmReader {
 public:
  // dir: where weights files may be (the learner's kWeightShmDir; tests use their own).
  static absl::StatusOr<std::unique_ptr<WeightShmReader>> open(const WeightManifest& m,
                                                               const std::string& dir = kWeightShmDir);
  ~WeightShmReader();
  absl::StatusOr<WeightBucket> bucket(int64_t version, int64_t index) const;

 private:
  WeightShmReader() = default;
  std::unique_ptr<ShmRegion> region_;
  WeightManifest m_;
  ShmHeader header_;
};

}  // namespace ascent
