// Who may call ascent's gRPC ports, and over what (docs/security.md). Every call carries the caller's
// credentials as metadata: "authorization: Bearer <token>" (RFC 6750) and "x-ascent-actor: <name>"; the
// server recomputes the name's token from the run secret (core/run_secret.h) and refuses anything else with
// UNAUTHENTICATED, before reading a request's fields. Refusals are counted and their peers kept (bounded) for
// the learner's log; the run goes on. Channels use TLS when the caller names a CA file (the learner's
// certificate's issuer, transport/tls.h), plaintext otherwise (loopback runs).
//
// Servers also get their edge limits here: the largest message they accept (per rpc; larger ones are refused
// with RESOURCE_EXHAUSTED by gRPC before our code sees them), a bound on their threads and a memory quota (a
// flood of calls waits or is refused instead of starving the learner), 16 calls at once per connection, a
// handshake deadline (a client that connects and stalls is dropped) and an idle deadline (a connection
// without a call for 60 s is closed).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "transport/tls.h"

namespace ascent {

inline constexpr char kAuthHeader[] = "authorization";
inline constexpr char kActorHeader[] = "x-ascent-actor";

// A caller's side: its name and token, and the CA that signed the server's certificate ("" = plaintext).
struct ClientCredentials {
  std::string name, token;
  std::string tls_ca;           // PEM file
  std::string tls_server_name;  // the name the server's certificate holds ("" = the address's host)
};

// Adds the caller's metadata to a call.
void client_context_auth(grpc::ClientContext* ctx, const ClientCredentials& c);
// A channel to `address` with TLS when c.tls_ca is set. FailedPrecondition naming the file when it cannot be
// read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> client_channel(const std::string& address,
                                                              const ClientCredentials& c,
                                                              grpc::ChannelArguments args = {});

class ServerAuth {
 public:
  explicit ServerAuth(std::string secret) : secret_(std::move(secret)) {}
  // The caller's name when its token is the name's; Unauthenticated otherwise (counted by peer).
  absl::StatusOr<std::string> caller(const grpc::ServerContextBase& ctx);
  int64_t refused();
  // Refusals since the last call, one line per peer ("3 calls from ipv4:10.0.0.9: no token"), at most 16.
  std::vector<std::string> take_refusals();

 private:
  struct Peer {
    int64_t calls = 0;
    std::string reason;
  };
  const std::string secret_;
  absl::Mutex mu_;
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Peer> recent_ ABSL_GUARDED_BY(mu_);  // by peer address without its port
};

// How a server listens: credentials are required (no server runs without them), TLS when tls.cert is set.
struct ServerSecurity {
  ServerAuth* auth = nullptr;
  TlsFiles tls;
  int64_t max_receive_bytes = 4 << 20;  // per message
  int max_threads = 64;
};

// Adds a listening port with the security's credentials and limits to `b`. FailedPrecondition when a TLS
// file cannot be read; InvalidArgument without `auth`.
absl::Status server_builder_setup(grpc::ServerBuilder* b, const std::string& address, const ServerSecurity& s,
                                  int* port);

// A call's refusal as the rpc's status.
grpc::Status grpc_unauthenticated(const absl::Status& st);

}  // namespace ascent
