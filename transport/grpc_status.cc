#include "transport/grpc_status.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"

namespace ascent {

grpc::Status grpc_status_from(const absl::Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

absl::Status status_from_grpc(std::string_view what, const grpc::Status& st) {
  if (st.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                      absl::StrCat(std::string(what), ": ", st.error_message()));
}

void grpc_set_deadline(grpc::ClientContext* ctx, double seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}

}  // namespace ascent
