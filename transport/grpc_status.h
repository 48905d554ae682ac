// The gRPC edge of transport/: absl::Status <-> grpc::Status and call deadlines. Inside ascent every error is
// an absl::Status; a grpc::Status exists only in the adapters of this folder. The two code spaces are the same
// numbers (absl::StatusCode mirrors the canonical gRPC codes), so a code crosses the edge unchanged.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ascent {

grpc::Status grpc_status_from(const absl::Status& st);
// `what` names the call in the message ("register: ...").
absl::Status status_from_grpc(std::string_view what, const grpc::Status& st);
// A deadline `seconds` from now (fractions allowed).
void grpc_set_deadline(grpc::ClientContext* ctx, double seconds);

// A plain handler's answer as an rpc's response or status.
template <typename T>
grpc::Status grpc_answer(absl::StatusOr<T> r, T* out) {
  if (!r.ok()) return grpc_status_from(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace ascent
