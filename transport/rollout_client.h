// The actor's side of RolloutService (proto/rollout.proto); the learner's side is rollout_server.h.
//  - RolloutSender: keeps unacked groups (at most `window`), streams them, and after a broken stream
//    reconnects and resends every unacked group in order.
//  - LearnerClient: the unary calls (Register, SendHeartbeat, GetPrompts); thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/rollout.pb.h"
#include "transport/auth.h"

namespace ascent {

class RolloutSender {
 public:
  RolloutSender(const std::string& address, const ClientCredentials& credentials, std::string incarnation,
                size_t window);
  ~RolloutSender();
  // Queues a group (its seq is assigned here) and streams; blocks while `window` groups are unacked.
  absl::Status send(ascent::rollout::v1::Group g);
  // Waits until every group is acked (reconnecting as needed), up to timeout_s.
  absl::Status flush(double timeout_s);
  int64_t reconnects() const { return reconnects_; }

 private:
  absl::Status pump(bool drain);  // writes unsent groups and reads acks; reconnects on failure
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string incarnation_;
  size_t window_;
  std::deque<ascent::rollout::v1::Group> unacked_;
  size_t sent_in_stream_ = 0;  // how many of unacked_ were written on the current stream
  int64_t next_seq_ = 0, reconnects_ = 0;
};

class LearnerClient {
 public:
  LearnerClient(const std::string& address, const ClientCredentials& credentials, double timeout_s = 30);
  ~LearnerClient();
  // Waits for the learner to come up, up to timeout_s.
  absl::StatusOr<ascent::rollout::v1::RegisterResponse> register_actor(const std::string& name,
                                                                       const std::string& incarnation,
                                                                       double timeout_s);
  absl::StatusOr<ascent::rollout::v1::HeartbeatAck> heartbeat(const ascent::rollout::v1::Heartbeat& hb);
  absl::StatusOr<ascent::rollout::v1::PromptsReply> prompts(const std::string& incarnation, int64_t max);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double timeout_s_;
};

}  // namespace ascent
