#include "core/file_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace ascent {

namespace {

absl::Status sys_error(absl::StatusCode code, const std::string& path, const char* what) {
  return absl::Status(code, absl::StrCat(path, ": ", what, ": ", std::strerror(errno)));
}

absl::Status fsync_open(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return sys_error(absl::StatusCode::kPermissionDenied, path, "cannot open");
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  // Some file systems refuse fsync on a directory (EINVAL): nothing more can be done there.
  if (!synced && !(errno == EINVAL && (flags & O_DIRECTORY)))
    return sys_error(absl::StatusCode::kDataLoss, path, "fsync failed");
  return absl::OkStatus();
}

}  // namespace

absl::Status file_fsync(const std::string& path) {
  return fsync_open(path, O_RDONLY);
}

absl::Status dir_fsync(const std::string& dir) {
  return fsync_open(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

absl::Status file_write_atomic(const std::string& path, const std::string& text, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return sys_error(absl::StatusCode::kPermissionDenied, tmp, "cannot write");
  if (::fchmod(fd, mode) != 0) {  // a leftover .tmp keeps its old mode through O_CREAT
    absl::Status st = sys_error(absl::StatusCode::kPermissionDenied, tmp, "cannot chmod");
    ::close(fd);
    return st;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status st = sys_error(absl::StatusCode::kDataLoss, tmp, "write failed");
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (!synced) errno = sync_errno;
  if (!synced || !closed) {
    absl::Status st = sys_error(absl::StatusCode::kDataLoss, tmp, "fsync/close failed");
    ::unlink(tmp.c_str());
    return st;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": ", ec.message()));
  }
  return dir_fsync(std::filesystem::path(path).parent_path().string());
}

}  // namespace ascent
