// TLS for ascent's gRPC ports (gRPC's SSL credentials over OpenSSL; docs/security.md). A run that listens
// beyond loopback uses it: with the certificate files the recipe names (run.tls), or with a per-run CA that
// `ascent launch` or the learner makes in <run dir>/tls/ (tls_make_run_ca): a P-256 CA key and certificate,
// and a server certificate it signs for kRunCaServerName (and any hosts asked for). Actors trust
// the CA file and nothing else. Validity starts a day before it was made (hosts' clocks may disagree) and
// lasts a year.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

// The name every per-run server certificate holds, whatever host the learner lands on: clients that trust a
// per-run CA check this name (gRPC's target name override), so the CA can be made before the job is placed.
inline constexpr char kRunCaServerName[] = "ascent-learner";

struct TlsFiles {
  std::string ca, cert, key;  // PEM files; cert "" = no TLS
};

// The file's text; FailedPrecondition naming the file and `what` when it is missing, empty or not PEM.
absl::StatusOr<std::string> tls_read_pem(const std::string& path, const std::string& what);
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls_server_credentials(const TlsFiles& f);

// Writes dir/ca.pem, dir/ca.key, dir/server.pem, dir/server.key (keys mode 0600) for `hosts` (IP addresses
// or DNS names; kRunCaServerName, "localhost" and 127.0.0.1 are always added) and returns their paths. Keeps the files of an
// earlier call when they cover the hosts (a resumed run: actors that hold the CA keep trusting it).
absl::StatusOr<TlsFiles> tls_make_run_ca(const std::string& dir, const std::vector<std::string>& hosts);

}  // namespace ascent
