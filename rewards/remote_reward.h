// Rewards from a remote gRPC RewardService (proto/reward.proto), served by anything (Python example in
// examples/reward_server/). Batches of up to `max_batch` items are sent with a `batch_timeout_s` deadline; a
// batch that fails (deadline exceeded, server error, wrong result count) is retried item by item with
// `item_timeout_s` each and `retries` extra tries, so only the items that fail again are recorded as errors
// (with the gRPC status as the reason). Non-finite rewards are errors. Nothing here throws or aborts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rewards/reward_types.h"

namespace ascent {

struct RemoteOptions {
  std::string address;  // host:port
  double batch_timeout_s = 30, item_timeout_s = 10;
  int retries = 1;
  int max_batch = 256;
};

struct RemoteStats {
  int64_t scored = 0, errors = 0, batch_failures = 0;
};

class RemoteReward {
 public:
  explicit RemoteReward(RemoteOptions opt);
  ~RemoteReward();
  std::vector<ComponentResult> score(const std::vector<RewardInput>& items);
  const RemoteStats& stats() const { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  RemoteOptions opt_;
  RemoteStats stats_;
};

}  // namespace ascent
