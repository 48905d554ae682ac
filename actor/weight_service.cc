#include "actor/weight_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>

#include "proto/weights.grpc.pb.h"

namespace wv1 = ascent::weights::v1;

namespace {

grpc::Status to_grpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode c = grpc::StatusCode::INTERNAL;
  if (absl::IsNotFound(s)) c = grpc::StatusCode::NOT_FOUND;
  if (absl::IsOutOfRange(s)) c = grpc::StatusCode::OUT_OF_RANGE;
  if (absl::IsUnavailable(s)) c = grpc::StatusCode::UNAVAILABLE;
  return grpc::Status(c, std::string(s.message()));
}

absl::Status from_grpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  const std::string m = "weight server: " + s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(m);
    case grpc::StatusCode::OUT_OF_RANGE:
      return absl::OutOfRangeError(m);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(m);
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(m);
    default:
      return absl::InternalError(m);
  }
}

class Service final : public wv1::WeightService::Service {
 public:
  Service(const WeightPublisher* p, int64_t corrupt_first) : p_(p), corrupt_(corrupt_first) {}
  grpc::Status GetManifest(grpc::ServerContext*, const wv1::ManifestRequest*, wv1::Manifest* out) override {
    absl::StatusOr<WeightManifest> m = p_->manifest();
    if (!m.ok()) return to_grpc(m.status());
    out->set_version(m->version);
    out->set_buckets(m->buckets);
    out->set_numel(m->numel);
    out->set_dtype(static_cast<wv1::WireDType>(m->dtype));
    return grpc::Status::OK;
  }
  grpc::Status GetBucket(grpc::ServerContext*, const wv1::BucketRequest* req, wv1::Bucket* out) override {
    absl::StatusOr<WeightBucket> b = p_->bucket(req->version(), req->index());
    if (!b.ok()) return to_grpc(b.status());
    out->set_version(b->version);
    out->set_index(b->index);
    out->set_offset(b->offset);
    out->set_numel(b->numel);
    out->set_dtype(static_cast<wv1::WireDType>(b->dtype));
    std::string data = std::move(b->data);
    if (b->index == corrupt_ && !corrupted_.exchange(true) && !data.empty()) data[data.size() / 2] ^= 0x5a;
    out->set_data(std::move(data));
    out->set_crc32(b->crc32);
    return grpc::Status::OK;
  }

 private:
  const WeightPublisher* p_;
  int64_t corrupt_;
  std::atomic<bool> corrupted_{false};
};

}  // namespace

struct WeightServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

WeightServer::WeightServer(const WeightPublisher* publisher, const std::string& address,
                           int64_t corrupt_first)
    : impl_(std::make_unique<Impl>()) {
  impl_->service = std::make_unique<Service>(publisher, corrupt_first);
  grpc::ServerBuilder b;
  b.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  b.SetMaxSendMessageSize(256 << 20);
  b.RegisterService(impl_->service.get());
  impl_->server = b.BuildAndStart();
}

WeightServer::~WeightServer() {
  if (impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

struct WeightClient::Impl {
  std::unique_ptr<wv1::WeightService::Stub> stub;
};

WeightClient::WeightClient(const std::string& address, double timeout_s)
    : impl_(std::make_unique<Impl>()), timeout_s_(timeout_s) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  impl_->stub = wv1::WeightService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

WeightClient::~WeightClient() = default;

absl::StatusOr<WeightManifest> WeightClient::manifest() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(timeout_s_ * 1e6)));
  wv1::Manifest m;
  grpc::Status st = impl_->stub->GetManifest(&ctx, wv1::ManifestRequest(), &m);
  if (!st.ok()) return from_grpc(st);
  return WeightManifest{m.version(), m.buckets(), m.numel(), static_cast<WireDType>(m.dtype())};
}

absl::StatusOr<WeightBucket> WeightClient::bucket(int64_t version, int64_t index) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<int64_t>(timeout_s_ * 1e6)));
  wv1::BucketRequest req;
  req.set_version(version);
  req.set_index(index);
  wv1::Bucket b;
  grpc::Status st = impl_->stub->GetBucket(&ctx, req, &b);
  if (!st.ok()) return from_grpc(st);
  WeightBucket out;
  out.version = b.version(), out.index = b.index(), out.offset = b.offset(), out.numel = b.numel();
  out.dtype = static_cast<WireDType>(b.dtype());
  out.data = std::move(*b.mutable_data());
  out.crc32 = b.crc32();
  return out;
}
