#include "actor/rollout_channel.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "proto/rollout.grpc.pb.h"

namespace rv1 = ascent::rollout::v1;

absl::Status GroupInbox::offer(const rv1::Group& g) {
  std::unique_lock<std::mutex> lock(mu_);
  auto [it, fresh] = last_.emplace(g.incarnation(), -1);
  if (g.seq() <= it->second) {
    ++duplicates_;  // resent after a broken stream: already delivered
    return absl::OkStatus();
  }
  if (g.seq() != it->second + 1) {
    return absl::FailedPreconditionError(absl::StrCat("group ", g.seq(), " of ", g.incarnation(), " after ",
                                                      it->second, ": resend from ", it->second + 1));
  }
  changed_.wait(lock, [&] { return queue_.size() < capacity_; });  // backpressure
  queue_.push_back(g);
  last_[g.incarnation()] = g.seq();
  changed_.notify_all();
  return absl::OkStatus();
}

bool GroupInbox::take(rv1::Group* g, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !queue_.empty(); }))
    return false;
  *g = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return true;
}

int64_t GroupInbox::delivered(const std::string& incarnation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(incarnation);
  return it == last_.end() ? -1 : it->second;
}

namespace {

grpc::Status to_grpc(const absl::Status& st) {
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

// A handler's answer as the rpc's response or status.
template <typename T>
grpc::Status answer(absl::StatusOr<T> r, T* out) {
  if (!r.ok()) return to_grpc(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

class Service final : public rv1::RolloutService::Service {
 public:
  Service(GroupInbox* inbox, RolloutHandler* handler, int64_t break_every)
      : inbox_(inbox), handler_(handler), break_every_(break_every) {}
  grpc::Status Register(grpc::ServerContext*, const rv1::RegisterRequest* req,
                        rv1::RegisterResponse* out) override {
    if (req->incarnation().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty incarnation");
    return handler_ ? answer(handler_->on_register(*req), out) : grpc::Status::OK;
  }
  grpc::Status SendHeartbeat(grpc::ServerContext*, const rv1::Heartbeat* hb,
                             rv1::HeartbeatAck* out) override {
    return handler_ ? answer(handler_->on_heartbeat(*hb), out) : grpc::Status::OK;
  }
  grpc::Status GetPrompts(grpc::ServerContext*, const rv1::PromptsRequest* req,
                          rv1::PromptsReply* out) override {
    if (!handler_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this learner hands out no prompts");
    return answer(handler_->on_prompts(*req), out);
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

struct RolloutSender::Impl {
  std::unique_ptr<rv1::RolloutService::Stub> stub;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReaderWriter<rv1::Group, rv1::Ack>> stream;
};

RolloutSender::RolloutSender(const std::string& address, std::string incarnation, size_t window)
    : impl_(std::make_unique<Impl>()), incarnation_(std::move(incarnation)), window_(window) {
  impl_->stub =
      rv1::RolloutService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

RolloutSender::~RolloutSender() {
  if (impl_->stream) {
    impl_->stream->WritesDone();
    for (rv1::Ack ack; impl_->stream->Read(&ack);) {
    }
    impl_->stream->Finish();
  }
}

absl::Status RolloutSender::send(rv1::Group g) {
  g.set_incarnation(incarnation_);
  g.set_seq(next_seq_++);
  unacked_.push_back(std::move(g));
  return pump(/*drain=*/false);
}

absl::Status RolloutSender::flush(double timeout_s) {
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6));
  while (!unacked_.empty()) {
    if (std::chrono::steady_clock::now() > end)
      return absl::DeadlineExceededError(absl::StrCat(unacked_.size(), " groups unacked"));
    absl::Status st = pump(/*drain=*/true);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status RolloutSender::pump(bool drain) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (!impl_->stream) {
      impl_->ctx = std::make_unique<grpc::ClientContext>();
      impl_->ctx->set_wait_for_ready(true);
      impl_->stream = impl_->stub->Stream(impl_->ctx.get());
      sent_in_stream_ = 0;  // everything unacked is resent on the new stream
    }
    bool broken = false;
    // Write what is not yet on this stream, up to the window.
    while (sent_in_stream_ < unacked_.size() && sent_in_stream_ < window_) {
      if (!impl_->stream->Write(unacked_[sent_in_stream_])) {
        broken = true;
        break;
      }
      ++sent_in_stream_;
    }
    // Read acks: while the window is full, or until everything is acked when draining.
    while (!broken && sent_in_stream_ > 0 && (unacked_.size() >= window_ || drain)) {
      rv1::Ack ack;
      if (!impl_->stream->Read(&ack)) {
        broken = true;
        break;
      }
      while (!unacked_.empty() && unacked_.front().seq() <= ack.acked_seq()) {
        unacked_.pop_front();
        --sent_in_stream_;
      }
      if (drain && sent_in_stream_ < unacked_.size()) break;  // more to write
      if (!drain && unacked_.size() < window_) break;
    }
    if (!broken) {
      if (!drain || unacked_.empty() || sent_in_stream_ < unacked_.size()) return absl::OkStatus();
      continue;
    }
    // A broken stream: read what the server still sent (Finish blocks while acks are unread; they also
    // let us drop groups acked just before the break), finish it, and start over with every unacked group.
    impl_->stream->WritesDone();
    for (rv1::Ack ack; impl_->stream->Read(&ack);) {
      while (!unacked_.empty() && unacked_.front().seq() <= ack.acked_seq()) unacked_.pop_front();
    }
    grpc::Status st = impl_->stream->Finish();
    impl_->stream.reset();
    ++reconnects_;
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      return absl::InvalidArgumentError("learner refused a group: " + st.error_message());
    }
  }
  return absl::UnavailableError("rollout stream keeps breaking");
}

struct LearnerClient::Impl {
  std::unique_ptr<rv1::RolloutService::Stub> stub;
};

namespace {
void set_deadline(grpc::ClientContext* ctx, double seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}
absl::Status from_grpc(const char* what, const grpc::Status& st) {
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                      absl::StrCat(what, ": ", st.error_message()));
}
}  // namespace

LearnerClient::LearnerClient(const std::string& address, double timeout_s)
    : impl_(std::make_unique<Impl>()), timeout_s_(timeout_s) {
  impl_->stub =
      rv1::RolloutService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

LearnerClient::~LearnerClient() = default;

absl::StatusOr<rv1::RegisterResponse> LearnerClient::register_actor(const std::string& name,
                                                                    const std::string& incarnation,
                                                                    double timeout_s) {
  rv1::RegisterRequest req;
  req.set_actor_name(name);
  req.set_incarnation(incarnation);
  rv1::RegisterResponse resp;
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);  // the learner may still be starting
  set_deadline(&ctx, timeout_s);
  grpc::Status st = impl_->stub->Register(&ctx, req, &resp);
  if (!st.ok()) return from_grpc("register", st);
  return resp;
}

absl::StatusOr<rv1::HeartbeatAck> LearnerClient::heartbeat(const rv1::Heartbeat& hb) {
  rv1::HeartbeatAck resp;
  grpc::ClientContext ctx;
  set_deadline(&ctx, timeout_s_);
  grpc::Status st = impl_->stub->SendHeartbeat(&ctx, hb, &resp);
  if (!st.ok()) return from_grpc("heartbeat", st);
  return resp;
}

absl::StatusOr<rv1::PromptsReply> LearnerClient::prompts(const std::string& incarnation, int64_t max) {
  rv1::PromptsRequest req;
  req.set_incarnation(incarnation);
  req.set_max(max);
  rv1::PromptsReply resp;
  grpc::ClientContext ctx;
  set_deadline(&ctx, timeout_s_);
  grpc::Status st = impl_->stub->GetPrompts(&ctx, req, &resp);
  if (!st.ok()) return from_grpc("get prompts", st);
  return resp;
}
