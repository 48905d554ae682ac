#include "core/status.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ascent {

void ascent_check_fail(const char* file, int line, const char* cond, const std::string& hint) {
  std::fprintf(stderr, "ascent: internal check failed at %s:%d: %s\n  hint: %s\n", file, line, cond,
               hint.c_str());
  std::abort();
}

absl::Status ascent_errno_error(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = absl::StrCat(path, ": ", what, " failed: ", std::strerror(e));
  if (e == ENOENT) return absl::NotFoundError(msg);
  if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

}  // namespace ascent
