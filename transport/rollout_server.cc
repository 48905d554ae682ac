#include "transport/rollout_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "proto/rollout.grpc.pb.h"
#include "transport/grpc_status.h"

namespace ascent {

namespace rv1 = ascent::rollout::v1;

absl::Status GroupInbox::offer(const rv1::Group& g) {
  absl::MutexLock lock(&mu_);
  // A resent group that was delivered is acknowledged at once (the delivered sequence only grows). Otherwise
  // backpressure first, then the sequence check and the push under one hold of the lock: a stream's handler
  // still waiting here after its actor reconnected cannot deliver a group the new stream delivered meanwhile.
  if (auto seen = last_.find(g.incarnation()); seen != last_.end() && g.seq() <= seen->second) {
    ++duplicates_;
    return absl::OkStatus();
  }
  while (queue_.size() >= capacity_) changed_.Wait(&mu_);
  auto [it, fresh] = last_.emplace(g.incarnation(), -1);
  if (g.seq() <= it->second) {
    ++duplicates_;  // resent after a broken stream: already delivered
    return absl::OkStatus();
  }
  if (g.seq() != it->second + 1) {
    return absl::FailedPreconditionError(absl::StrCat("group ", g.seq(), " of ", g.incarnation(), " after ",
                                                      it->second, ": resend from ", it->second + 1));
  }
  queue_.push_back(g);
  it->second = g.seq();
  changed_.SignalAll();
  return absl::OkStatus();
}

bool GroupInbox::take(rv1::Group* g, int timeout_ms) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  absl::MutexLock lock(&mu_);
  while (queue_.empty()) {
    if (changed_.WaitWithDeadline(&mu_, deadline) && queue_.empty()) return false;
  }
  *g = std::move(queue_.front());
  queue_.pop_front();
  changed_.SignalAll();
  return true;
}

int64_t GroupInbox::delivered(const std::string& incarnation) {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(incarnation);
  return it == last_.end() ? -1 : it->second;
}

namespace {

class Service final : public rv1::RolloutService::Service {
 public:
  Service(GroupInbox* inbox, RolloutHandler* handler, int64_t break_every)
      : inbox_(inbox), handler_(handler), break_every_(break_every) {}
  grpc::Status Register(grpc::ServerContext*, const rv1::RegisterRequest* req,
                        rv1::RegisterResponse* out) override {
    if (req->incarnation().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty incarnation");
    return handler_ ? grpc_answer(handler_->on_register(*req), out) : grpc::Status::OK;
  }
  grpc::Status SendHeartbeat(grpc::ServerContext*, const rv1::Heartbeat* hb,
                             rv1::HeartbeatAck* out) override {
    return handler_ ? grpc_answer(handler_->on_heartbeat(*hb), out) : grpc::Status::OK;
  }
  grpc::Status GetPrompts(grpc::ServerContext*, const rv1::PromptsRequest* req,
                          rv1::PromptsReply* out) override {
    if (!handler_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this learner hands out no prompts");
    return grpc_answer(handler_->on_prompts(*req), out);
  }
  grpc::Status Stream(grpc::ServerContext*, grpc::ServerReaderWriter<rv1::Ack, rv1::Group>* stream) override {
    rv1::Group g;
    while (stream->Read(&g)) {
      if (g.completions_size() == 0)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a group without completions");
      absl::Status st = inbox_->offer(g);
      if (!st.ok()) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(st.message()));
      if (break_every_ > 0 && ++accepted_ % break_every_ == 0) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "stream dropped on purpose (test)");  // before the ack
      }
      rv1::Ack ack;
      ack.set_acked_seq(inbox_->delivered(g.incarnation()));
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }

 private:
  GroupInbox* inbox_;
  RolloutHandler* handler_;
  int64_t break_every_;
  std::atomic<int64_t> accepted_{0};
};

}  // namespace

struct RolloutServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

RolloutServer::RolloutServer(GroupInbox* inbox, RolloutHandler* handler, const std::string& address,
                             int64_t break_every)
    : impl_(std::make_unique<Impl>()) {
  impl_->service = std::make_unique<Service>(inbox, handler, break_every);
  grpc::ServerBuilder b;
  b.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  b.RegisterService(impl_->service.get());
  impl_->server = b.BuildAndStart();
}

RolloutServer::~RolloutServer() {
  if (impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace ascent
