#include "transport/weight_client.h"

#include <grpcpp/grpcpp.h>

#include "proto/weights.grpc.pb.h"
#include "transport/grpc_status.h"

namespace ascent {

namespace wv1 = ascent::weights::v1;

struct WeightClient::Impl {
  ClientCredentials credentials;
  absl::Status error;  // the channel could not be made (a TLS file)
  std::unique_ptr<wv1::WeightService::Stub> stub;
};

WeightClient::WeightClient(const std::string& address, const ClientCredentials& credentials, double timeout_s)
    : impl_(std::make_unique<Impl>()), timeout_s_(timeout_s) {
  impl_->credentials = credentials;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxBucketMessageBytes);
  auto channel = client_channel(address, credentials, args);
  if (channel.ok()) {
    impl_->stub = wv1::WeightService::NewStub(*channel);
  } else {
    impl_->error = channel.status();
  }
}

WeightClient::~WeightClient() = default;

absl::StatusOr<WeightManifest> WeightClient::manifest() {
  if (!impl_->error.ok()) return impl_->error;
  grpc::ClientContext ctx;
  client_context_auth(&ctx, impl_->credentials);
  grpc_set_deadline(&ctx, timeout_s_);
  wv1::Manifest m;
  grpc::Status st = impl_->stub->GetManifest(&ctx, wv1::ManifestRequest(), &m);
  if (!st.ok()) return status_from_grpc("weight server", st);
  return WeightManifest{m.version(),  m.buckets(),  m.numel(), static_cast<WireDType>(m.dtype()),
                        m.shm_path(), m.shm_nonce()};
}

absl::StatusOr<WeightBucket> WeightClient::bucket(int64_t version, int64_t index) {
  if (!impl_->error.ok()) return impl_->error;
  grpc::ClientContext ctx;
  client_context_auth(&ctx, impl_->credentials);
  grpc_set_deadline(&ctx, timeout_s_);
  wv1::BucketRequest req;
  req.set_version(version);
  req.set_index(index);
  wv1::Bucket b;
  grpc::Status st = impl_->stub->GetBucket(&ctx, req, &b);
  if (!st.ok()) return status_from_grpc("weight server", st);
  WeightBucket out;
  out.version = b.version(), out.index = b.index(), out.offset = b.offset(), out.numel = b.numel();
  out.dtype = static_cast<WireDType>(b.dtype());
  out.data = std::move(*b.mutable_data());
  out.crc32 = b.crc32();
  return out;
}

}  // namespace ascent
