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

void GroupInbox::forget(const std::string& incarnation) {
  absl::MutexLock lock(&mu_);
  last_.erase(incarnation);
}

int64_t GroupInbox::delivered(const std::string& incarnation) {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(incarnation);
  return it == last_.end() ? -1 : it->second;
}

namespace {

class Service final : public rv1::RolloutService::Service {
 public:
  Service(GroupInbox* inbox, RolloutHandler* handler, ServerAuth* auth, int64_t break_every)
      : inbox_(inbox), handler_(handler), auth_(auth), break_every_(break_every) {}
  grpc::Status Register(grpc::ServerContext* ctx, const rv1::RegisterRequest* req,
                        rv1::RegisterResponse* out) override {
    absl::StatusOr<std::string> caller = auth_->caller(*ctx);
    if (!caller.ok()) return grpc_unauthenticated(caller.status());
    if (req->incarnation().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty incarnation");
    if (!handler_) return grpc::Status::OK;
    grpc::Status st = grpc_answer(handler_->on_register(*caller, *req), out);
    for (const std::string& inc : handler_->take_forgotten()) inbox_->forget(inc);
    return st;
  }
  grpc::Status SendHeartbeat(grpc::ServerContext* ctx, const rv1::Heartbeat* hb,
                             rv1::HeartbeatAck* out) override {
    absl::StatusOr<std::string> caller = auth_->caller(*ctx);
    if (!caller.ok()) return grpc_unauthenticated(caller.status());
    return handler_ ? grpc_answer(handler_->on_heartbeat(*caller, *hb), out) : grpc::Status::OK;
  }
  grpc::Status GetPrompts(grpc::ServerContext* ctx, const rv1::PromptsRequest* req,
                          rv1::PromptsReply* out) override {
    absl::StatusOr<std::string> caller = auth_->caller(*ctx);
    if (!caller.ok()) return grpc_unauthenticated(caller.status());
    if (!handler_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this learner hands out no prompts");
    return grpc_answer(handler_->on_prompts(*caller, *req), out);
  }
  grpc::Status Stream(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<rv1::Ack, rv1::Group>* stream) override {
    absl::StatusOr<std::string> caller = auth_->caller(*ctx);  // before a single group is read
    if (!caller.ok()) return grpc_unauthenticated(caller.status());
    rv1::Group g;
    std::string admitted;  // the incarnation checked last (a stream carries one incarnation's groups)
    while (stream->Read(&g)) {
      if (g.completions_size() == 0)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a group without completions");
      if (handler_ && g.incarnation() != admitted) {
        if (absl::Status st = handler_->admit_stream(*caller, g.incarnation()); !st.ok())
          return grpc_status_from(st);
        admitted = g.incarnation();
      }
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
  ServerAuth* auth_;
  int64_t break_every_;
  std::atomic<int64_t> accepted_{0};
};

}  // namespace

struct RolloutServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

RolloutServer::RolloutServer(GroupInbox* inbox, RolloutHandler* handler, const std::string& address,
                             const ServerSecurity& security, int64_t break_every)
    : impl_(std::make_unique<Impl>()) {
  impl_->service = std::make_unique<Service>(inbox, handler, security.auth, break_every);
  grpc::ServerBuilder b;
  error_ = server_builder_setup(&b, address, security, &port_);
  if (!error_.ok()) return;
  b.RegisterService(impl_->service.get());
  impl_->server = b.BuildAndStart();
  if (!impl_->server || port_ <= 0) {
    port_ = 0;
    error_ = absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
}

RolloutServer::~RolloutServer() {
  if (impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace ascent
