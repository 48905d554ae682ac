#include "core/file_write.h"

#include <filesystem>
#include <fstream>

namespace ascent {

absl::Status file_write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!(f << text) || !f.flush()) return absl::PermissionDeniedError(tmp + ": cannot write");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(path + ": " + ec.message());
  return absl::OkStatus();
}

}  // namespace ascent
