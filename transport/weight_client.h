// The actor's gRPC adapter of weight_transfer.h (proto/weights.proto): WeightClient fetches a manifest and
// buckets with a deadline per call; the learner's side is weight_server.h. Status codes cross the edge
// unchanged (NOT_FOUND: version gone; OUT_OF_RANGE: bad index; UNAVAILABLE: nothing published / server down).
#pragma once

#include <memory>
#include <string>

#include "transport/auth.h"
#include "transport/weight_transfer.h"

namespace ascent {

class WeightClient {
 public:
  WeightClient(const std::string& address, const ClientCredentials& credentials, double timeout_s = 30);
  ~WeightClient();
  absl::StatusOr<WeightManifest> manifest();
  absl::StatusOr<WeightBucket> bucket(int64_t version, int64_t index);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double timeout_s_;
};

}  // namespace ascent
