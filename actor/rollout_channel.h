// Scored groups from actors to the learner without loss or duplicates (proto/rollout.proto). Plain classes
// with the gRPC adapter in the same file pair (the adapter is thin):
//  - GroupInbox (learner): accepts (incarnation, seq) in order, at most once, into a bounded queue; offer()
//    blocks while the queue is full (backpressure); take() pops for the learner.
//  - RolloutServer: RolloutService over an inbox (Register, SendHeartbeat, Stream with cumulative acks).
//  - RolloutSender (actor): keeps unacked groups (at most `window`), streams them, and after a broken stream
//    reconnects and resends every unacked group in order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "proto/rollout.pb.h"

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

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  size_t capacity_;
  std::deque<ascent::rollout::v1::Group> queue_;
  std::map<std::string, int64_t> last_;
  int64_t duplicates_ = 0;
};

class RolloutServer {
 public:
  // `break_every` (tests): the server drops the stream after accepting that many groups, before acking them.
  RolloutServer(GroupInbox* inbox, const std::string& address, int64_t break_every = 0);
  ~RolloutServer();
  int port() const { return port_; }
  void set_learner_version(int64_t v);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

class RolloutSender {
 public:
  RolloutSender(const std::string& address, std::string incarnation, size_t window);
  ~RolloutSender();
  // Registers (retrying while the learner is not up, up to timeout_s).
  absl::Status register_actor(const std::string& name, double timeout_s);
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
