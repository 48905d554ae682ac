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
  Service(const WeightPublisher* p, int64_t corrupt_first) : p_(p), corrupt_(corrupt_first) {}
  grpc::Status GetManifest(grpc::ServerContext*, const wv1::ManifestRequest*, wv1::Manifest* out) override {
    absl::StatusOr<WeightManifest> m = p_->manifest();
    if (!m.ok()) return grpc_status_from(m.status());
    out->set_version(m->version);
    out->set_buckets(m->buckets);
    out->set_numel(m->numel);
    out->set_dtype(static_cast<wv1::WireDType>(m->dtype));
    return grpc::Status::OK;
  }
  grpc::Status GetBucket(grpc::ServerContext*, const wv1::BucketRequest* req, wv1::Bucket* out) override {
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

}  // namespace ascent
