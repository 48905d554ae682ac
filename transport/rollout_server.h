// The learner's side of RolloutService (proto/rollout.proto): scored groups from actors arrive without loss or
// duplicates. Plain classes with the thin gRPC adapter in the same file pair; the actor's side is
// rollout_client.h.
//  - GroupInbox: accepts (incarnation, seq) in order, at most once, into a bounded queue; offer() blocks while
//    the queue is full (backpressure); take() pops for the learner.
//  - RolloutHandler: the learner's answers to Register, SendHeartbeat and GetPrompts (plain; the learner's
//    RolloutEndpoint implements it with its actor registry and prompt leases).
//  - RolloutServer: RolloutService over an inbox and a handler (Stream with cumulative acks).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/rollout.pb.h"
#include "transport/auth.h"

namespace ascent {

class GroupInbox {
 public:
  explicit GroupInbox(size_t capacity) : capacity_(capacity) {}
  // OK: accepted (or an already-delivered duplicate, ignored). FailedPrecondition: a gap in the sequence.
  absl::Status offer(const ascent::rollout::v1::Group& g);
  // Waits up to timeout_ms for a group; false on timeout.
  bool take(ascent::rollout::v1::Group* g, int timeout_ms);
  // The highest seq delivered for an incarnation (-1: none).
  int64_t delivered(const std::string& incarnation);
  int64_t duplicates() const { return duplicates_; }
  // Drops an incarnation's sequence number (it can no longer stream: RolloutHandler::take_forgotten).
  void forget(const std::string& incarnation);

 private:
  absl::Mutex mu_;
  absl::CondVar changed_;
  const size_t capacity_;
  std::deque<ascent::rollout::v1::Group> queue_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> last_ ABSL_GUARDED_BY(mu_);  // the highest seq delivered, by incarnation
  std::atomic<int64_t> duplicates_{0};
};

// `caller` is the authenticated actor name (transport/auth.h): a handler refuses a request about another
// name's incarnation (PERMISSION_DENIED).
class RolloutHandler {
 public:
  virtual ~RolloutHandler() = default;
  virtual absl::StatusOr<ascent::rollout::v1::RegisterResponse> on_register(
      const std::string& caller, const ascent::rollout::v1::RegisterRequest& req) = 0;
  virtual absl::StatusOr<ascent::rollout::v1::HeartbeatAck> on_heartbeat(
      const std::string& caller, const ascent::rollout::v1::Heartbeat& hb) = 0;
  virtual absl::StatusOr<ascent::rollout::v1::PromptsReply> on_prompts(
      const std::string& caller, const ascent::rollout::v1::PromptsRequest& req) = 0;
  // OK when `caller` registered `incarnation` (its groups may be streamed).
  virtual absl::Status admit_stream(const std::string& caller, const std::string& incarnation) = 0;
  // Incarnations forgotten since the last call (the inbox forgets their sequence numbers too).
  virtual std::vector<std::string> take_forgotten() = 0;
};

class RolloutServer {
 public:
  // handler may be null: Register answers version 0, GetPrompts UNIMPLEMENTED (stream-only tests).
  // `break_every` (tests): the server drops the stream after accepting that many groups, before acking them.
  // Listens per `security` (transport/auth.h); port() is 0 when it could not (error() says why).
  RolloutServer(GroupInbox* inbox, RolloutHandler* handler, const std::string& address,
                const ServerSecurity& security, int64_t break_every = 0);
  ~RolloutServer();
  int port() const { return port_; }
  const absl::Status& error() const { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  absl::Status error_;
};

}  // namespace ascent
