#include "transport/weight_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proto/weights.grpc.pb.h"
#include "transport/grpc_status.h"

namespace ascent {

namespace wv1 = ascent::weights::v1;

namespace {

// GetBucket is a raw callback method: its reply is the Bucket message's wire bytes built by hand, the
// header fields in one small slice and `data` as a slice that points into the publisher's snapshot (kept
// alive by the slice), so that the bucket's bytes are not copied on their way to the socket.
using ServiceBase = wv1::WeightService::WithRawCallbackMethod_GetBucket<wv1::WeightService::Service>;

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The Bucket message: every field but `data` serialized by protobuf, then field 6's tag and length; the
// bytes follow in their own slice (protobuf reads fields in any order).
grpc::ByteBuffer bucket_reply(WeightBucket b, bool corrupt) {
  wv1::Bucket head;
  head.set_version(b.version);
  head.set_index(b.index);
  head.set_offset(b.offset);
  head.set_numel(b.numel);
  head.set_dtype(static_cast<wv1::WireDType>(b.dtype));
  head.set_crc32(b.crc32);
  std::string prefix = head.SerializeAsString();
  const std::string_view bytes = b.bytes();
  put_varint(&prefix, (6 << 3) | 2);  // field 6 (data), length-delimited
  put_varint(&prefix, bytes.size());
  grpc::Slice data;
  if (corrupt && !bytes.empty()) {  // tests: a copy with one byte flipped
    std::string copy(bytes);
    copy[copy.size() / 2] ^= 0x5a;
    data = grpc::Slice(copy);
  } else if (b.keep) {
    auto* keep = new std::shared_ptr<const void>(std::move(b.keep));
    data = grpc::Slice(
        const_cast<char*>(bytes.data()), bytes.size(),
        [](void* k) { delete static_cast<std::shared_ptr<const void>*>(k); }, keep);
  } else {
    data = grpc::Slice(bytes.data(), bytes.size());
  }
  grpc::Slice parts[2] = {grpc::Slice(prefix), std::move(data)};
  return grpc::ByteBuffer(parts, 2);
}

class Service final : public ServiceBase {
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
    out->set_shm_path(m->shm_path);
    out->set_shm_nonce(m->shm_nonce);
    return grpc::Status::OK;
  }
  grpc::ServerUnaryReactor* GetBucket(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* reply) override {
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(get_bucket(*ctx, *request, reply));
    return r;
  }

 private:
  grpc::Status get_bucket(const grpc::CallbackServerContext& ctx, const grpc::ByteBuffer& request,
                          grpc::ByteBuffer* reply) {
    if (absl::StatusOr<std::string> caller = auth_->caller(ctx); !caller.ok())
      return grpc_unauthenticated(caller.status());
    std::vector<grpc::Slice> slices;
    wv1::BucketRequest req;
    std::string text;
    const bool dumped = request.Dump(&slices).ok();
    for (const grpc::Slice& s : slices) text.append(reinterpret_cast<const char*>(s.begin()), s.size());
    if (!dumped || !req.ParseFromString(text))
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a BucketRequest");
    absl::StatusOr<WeightBucket> b = p_->bucket(req.version(), req.index());
    if (!b.ok()) return grpc_status_from(b.status());
    const bool corrupt = b->index == corrupt_ && !corrupted_.exchange(true);
    *reply = bucket_reply(std::move(*b), corrupt);
    return grpc::Status::OK;
  }

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
