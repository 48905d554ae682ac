#include "transport/weight_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>

#include "proto/weights.grpc.pb.h"
#include "transport/grpc_status.h"

namespace ascent {

namespace wv1 = ascent::weights::v1;

namespace {

class Service final : public wv1::WeightService::Service {
 public:
  Service(const WeightPublisher* p, ServerAuth* auth, int64_t corrupt_first)
      : p_(p), auth_(auth), corrupt_(corrupt_first) {}
  grpc::Status GetManifest(grpc::ServerContext* ctx, const wv1::ManifestRequest*,
                           wv1::Manifest* out) override {
    if (absl::StatusOr<std::string> caller = auth_->caller(*ctx); !caller.ok())
      return grpc_unauthenticated(caller.status());
    absl::StatusOr<WeightManifest> m = p_->manifest();
    if (!m.ok()) return grpc_status_from(m.status());
    out->set_version(m->version);
    out->set_buckets(m->buckets);
    out->set_numel(m->numel);
    out->set_dtype(static_cast<wv1::WireDType>(m->dtype));
    return grpc::Status::OK;
  }
  grpc::Status GetBucket(grpc::ServerContext* ctx, const wv1::BucketRequest* req, wv1::Bucket* out) override {
    if (absl::StatusOr<std::string> caller = auth_->caller(*ctx); !caller.ok())
      return grpc_unauthenticated(caller.status());
    absl::StatusOr<WeightBucket> b = p_->bucket(req->version(), req->index());
    if (!b.ok()) return grpc_status_from(b.status());
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
  ServerAuth* auth_;
  int64_t corrupt_;
  std::atomic<bool> corrupted_{false};
};

}  // namespace

struct WeightServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

WeightServer::WeightServer(const WeightPublisher* publisher, const std::string& address,
                           const ServerSecurity& security, int64_t corrupt_first)
    : impl_(std::make_unique<Impl>()) {
  impl_->service = std::make_unique<Service>(publisher, security.auth, corrupt_first);
  grpc::ServerBuilder b;
  ServerSecurity s = security;
  s.max_receive_bytes = 64 << 10;  // requests are a few numbers
  error_ = server_builder_setup(&b, address, s, &port_);
  if (!error_.ok()) return;
  b.SetMaxSendMessageSize(kMaxBucketMessageBytes);
  b.RegisterService(impl_->service.get());
  impl_->server = b.BuildAndStart();
  if (!impl_->server || port_ <= 0) {
    port_ = 0;
    error_ = absl::UnavailableError("cannot listen on " + address);
  }
}

WeightServer::~WeightServer() {
  if (impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace ascent
