// Writing a small text file atomically: to path.tmp, then rename over path, so that a reader (or a
// process killed mid-write) sees the old file or the new one, never half of one.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace ascent {

// Errors name the file: PermissionDenied when it cannot be written, Internal when the rename fails.
absl::Status file_write_atomic(const std::string& path, const std::string& text);

}  // namespace ascent
