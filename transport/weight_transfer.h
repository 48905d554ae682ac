// Versioned weights from the learner to the actors in checksummed buckets (proto/weights.proto). Plain
// classes; weight_server.h and weight_client.h are the thin gRPC adapters.
//  - WeightPublisher (learner): publish(version, params) snapshots the flat parameter vector into buckets of
//    at most bucket_bytes, as fp32 or bf16 (round to nearest even), each with a CRC-32 (zlib) of its bytes.
//  - weights_receive (actor): fetches every bucket through a callback, verifies the checksum and the header,
//    asks again (up to `retries` times) for a bucket that does not match, and writes the parameters. A
//    version that changed under it (NOT_FOUND) is returned as is: the caller starts over from the manifest.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ascent {

enum class WireDType { kF32 = 0, kBF16 = 1 };

// The largest bucket message (run.weight_bucket_mb is at most 1024) with its header.
inline constexpr int kMaxBucketMessageBytes = (1024 << 20) + (1 << 20);

struct WeightManifest {
  int64_t version = -1, buckets = 0, numel = 0;
  WireDType dtype = WireDType::kBF16;
};

struct WeightBucket {
  int64_t version = 0, index = 0, offset = 0, numel = 0;
  WireDType dtype = WireDType::kBF16;
  std::string data;
  uint32_t crc32 = 0;
};

uint32_t weights_crc32(const std::string& data);

class WeightPublisher {
 public:
  WeightPublisher(int64_t bucket_bytes, WireDType dtype);
  void publish(int64_t version, const float* params, int64_t numel);
  absl::StatusOr<WeightManifest> manifest() const;
  absl::StatusOr<WeightBucket> bucket(int64_t version, int64_t index) const;
  // The bytes of the published version's buckets (what one actor fetches for it).
  int64_t published_bytes() const;

 private:
  mutable absl::Mutex mu_;
  const int64_t bucket_bytes_;
  const WireDType dtype_;
  WeightManifest manifest_ ABSL_GUARDED_BY(mu_);
  std::vector<WeightBucket> buckets_ ABSL_GUARDED_BY(mu_);
};

struct ReceiveStats {
  int64_t buckets = 0, rejected = 0, bytes = 0;
};

using BucketFetch = std::function<absl::StatusOr<WeightBucket>(int64_t version, int64_t index)>;

absl::Status weights_receive(const WeightManifest& m, const BucketFetch& fetch, float* params, int64_t numel,
                             int retries = 3, ReceiveStats* stats = nullptr);

}  // namespace ascent
