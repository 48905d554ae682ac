#include "transport/auth.h"

#include "absl/strings/str_cat.h"
#include "core/run_secret.h"

namespace ascent {
namespace {

std::string metadata(const grpc::ServerContextBase& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// "ipv4:10.0.0.9:41234" -> "ipv4:10.0.0.9" (a client's every connection has another port).
std::string peer_host(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos || peer.compare(0, 5, "unix:") == 0 ? peer : peer.substr(0, colon);
}

constexpr size_t kMaxPeersKept = 16;

}  // namespace

void client_context_auth(grpc::ClientContext* ctx, const ClientCredentials& c) {
  ctx->AddMetadata(kAuthHeader, "Bearer " + c.token);
  ctx->AddMetadata(kActorHeader, c.name);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> client_channel(const std::string& address,
                                                              const ClientCredentials& c,
                                                              grpc::ChannelArguments args) {
  if (c.tls_ca.empty()) return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  absl::StatusOr<std::string> ca = tls_read_pem(
      c.tls_ca, "the CA certificate of the learner's (run.tls.ca, --tls-ca or <run dir>/tls/ca.pem)");
  if (!ca.ok()) return ca.status();
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = *ca;
  if (!c.tls_server_name.empty()) args.SetSslTargetNameOverride(c.tls_server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(o), args);
}

absl::StatusOr<std::string> ServerAuth::caller(const grpc::ServerContextBase& ctx) {
  const std::string auth = metadata(ctx, kAuthHeader), name = metadata(ctx, kActorHeader);
  const std::string bearer = "Bearer ";
  std::string reason;
  if (auth.empty()) {
    reason = "no token";
  } else if (auth.compare(0, bearer.size(), bearer) != 0) {
    reason = "authorization is not a bearer token";
  } else if (name.empty()) {
    reason = "no actor name";
  } else if (!token_equal(auth.substr(bearer.size()), actor_token(secret_, name))) {
    reason = absl::StrCat("a wrong token for \"", name.substr(0, 64), "\"");
  } else {
    return name;
  }
  const std::string peer = peer_host(ctx.peer());
  absl::MutexLock lock(&mu_);
  ++refused_;
  if (recent_.size() < kMaxPeersKept || recent_.count(peer) > 0) {
    Peer& p = recent_[peer];
    ++p.calls;
    p.reason = reason;
  }
  return absl::UnauthenticatedError(absl::StrCat("refused: ", reason, " (every call needs the run's token)"));
}

int64_t ServerAuth::refused() {
  absl::MutexLock lock(&mu_);
  return refused_;
}

std::vector<std::string> ServerAuth::take_refusals() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [peer, p] : recent_)
    out.push_back(absl::StrCat(p.calls, " calls from ", peer, ": ", p.reason));
  recent_.clear();
  return out;
}

absl::Status server_builder_setup(grpc::ServerBuilder* b, const std::string& address, const ServerSecurity& s,
                                  int* port) {
  if (s.auth == nullptr) return absl::InvalidArgumentError("a server needs the run's credentials");
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!s.tls.cert.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls = tls_server_credentials(s.tls);
    if (!tls.ok()) return tls.status();
    creds = *tls;
  }
  b->AddListeningPort(address, creds, port);
  b->SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(s.max_receive_bytes, INT32_MAX)));
  // Threads, and memory that gRPC's transports account their buffers against (under pressure they shrink
  // their reads and refuse new work): a unary request is read whole before the handler checks its token, so
  // strangers' bodies are bounded by this, by the per-message limit and by 16 calls per connection.
  grpc::ResourceQuota quota("ascent-server");
  quota.SetMaxThreads(s.max_threads);
  quota.Resize(static_cast<size_t>(2 * s.max_receive_bytes + (256 << 20)));
  b->SetResourceQuota(quota);
  b->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  b->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 16);
  // A connection without a call for a minute is closed (actors call every heartbeat_s).
  b->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 60000);
  return absl::OkStatus();
}

grpc::Status grpc_unauthenticated(const absl::Status& st) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(st.message()));
}

}  // namespace ascent
