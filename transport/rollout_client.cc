#include "transport/rollout_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "proto/rollout.grpc.pb.h"
#include "transport/grpc_status.h"

namespace ascent {

namespace rv1 = ascent::rollout::v1;

struct RolloutSender::Impl {
  ClientCredentials credentials;
  absl::Status error;  // the channel could not be made (a TLS file)
  std::unique_ptr<rv1::RolloutService::Stub> stub;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReaderWriter<rv1::Group, rv1::Ack>> stream;
};

RolloutSender::RolloutSender(const std::string& address, const ClientCredentials& credentials,
                             std::string incarnation, size_t window)
    : impl_(std::make_unique<Impl>()), incarnation_(std::move(incarnation)), window_(window) {
  impl_->credentials = credentials;
  auto channel = client_channel(address, credentials);
  if (channel.ok()) {
    impl_->stub = rv1::RolloutService::NewStub(*channel);
  } else {
    impl_->error = channel.status();
  }
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
  if (!impl_->error.ok()) return impl_->error;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (!impl_->stream) {
      impl_->ctx = std::make_unique<grpc::ClientContext>();
      impl_->ctx->set_wait_for_ready(true);
      client_context_auth(impl_->ctx.get(), impl_->credentials);
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
    if (st.error_code() == grpc::StatusCode::NOT_FOUND) {  // declared lost: the heartbeat registers again
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        st.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      return status_from_grpc("learner refused the stream", st);
    }
  }
  return absl::UnavailableError("rollout stream keeps breaking");
}

struct LearnerClient::Impl {
  ClientCredentials credentials;
  absl::Status error;  // the channel could not be made (a TLS file)
  std::unique_ptr<rv1::RolloutService::Stub> stub;
};

LearnerClient::LearnerClient(const std::string& address, const ClientCredentials& credentials,
                             double timeout_s)
    : impl_(std::make_unique<Impl>()), timeout_s_(timeout_s) {
  impl_->credentials = credentials;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);  // a reply of leases: each prompt is at most 1 MiB
  auto channel = client_channel(address, credentials, args);
  if (channel.ok()) {
    impl_->stub = rv1::RolloutService::NewStub(*channel);
  } else {
    impl_->error = channel.status();
  }
}

LearnerClient::~LearnerClient() = default;

absl::StatusOr<rv1::RegisterResponse> LearnerClient::register_actor(const std::string& name,
                                                                    const std::string& incarnation,
                                                                    double timeout_s) {
  rv1::RegisterRequest req;
  req.set_actor_name(name);
  req.set_incarnation(incarnation);
  if (!impl_->error.ok()) return impl_->error;
  rv1::RegisterResponse resp;
  grpc::ClientContext ctx;
  client_context_auth(&ctx, impl_->credentials);
  ctx.set_wait_for_ready(true);  // the learner may still be starting
  grpc_set_deadline(&ctx, timeout_s);
  grpc::Status st = impl_->stub->Register(&ctx, req, &resp);
  if (!st.ok()) return status_from_grpc("register", st);
  return resp;
}

absl::StatusOr<rv1::HeartbeatAck> LearnerClient::heartbeat(const rv1::Heartbeat& hb) {
  if (!impl_->error.ok()) return impl_->error;
  rv1::HeartbeatAck resp;
  grpc::ClientContext ctx;
  client_context_auth(&ctx, impl_->credentials);
  grpc_set_deadline(&ctx, timeout_s_);
  grpc::Status st = impl_->stub->SendHeartbeat(&ctx, hb, &resp);
  if (!st.ok()) return status_from_grpc("heartbeat", st);
  return resp;
}

absl::StatusOr<rv1::PromptsReply> LearnerClient::prompts(const std::string& incarnation, int64_t max) {
  rv1::PromptsRequest req;
  req.set_incarnation(incarnation);
  req.set_max(max);
  if (!impl_->error.ok()) return impl_->error;
  rv1::PromptsReply resp;
  grpc::ClientContext ctx;
  client_context_auth(&ctx, impl_->credentials);
  grpc_set_deadline(&ctx, timeout_s_);
  grpc::Status st = impl_->stub->GetPrompts(&ctx, req, &resp);
  if (!st.ok()) return status_from_grpc("get prompts", st);
  return resp;
}

}  // namespace ascent
