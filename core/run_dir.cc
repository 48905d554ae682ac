#include "core/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/file_write.h"

namespace ascent {

namespace fs = std::filesystem;

namespace {
constexpr char kMark[] = ".ascent-run";

bool name_char(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '.' || c == '_' || c == '-'));
}
}  // namespace

absl::Status run_name_check(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("the run's name is empty");
  if (name.size() > 200) return absl::InvalidArgumentError("the run's name is longer than 200 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the run's name \"", name, "\" has '", std::string(1, name[i]), "' at position ", i,
          ": a name is letters, digits, '.', '_' and '-', starting with a letter or digit (it is "
          "a directory under run.dir, never a path)"));
    }
  }
  return absl::OkStatus();
}

absl::Status run_dir_create(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));
  if (fs::exists(fs::path(dir) / kMark)) return absl::OkStatus();
  return file_write_atomic((fs::path(dir) / kMark).string(), "ascent run directory\n");
}

absl::Status run_dir_remove(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return absl::OkStatus();
  if (!fs::exists(fs::path(dir) / kMark) && !fs::exists(fs::path(dir) / "metrics.jsonl")) {
    return absl::FailedPreconditionError(
        absl::StrCat("--fresh: ", dir, " was not made by ascent (no ", kMark, "): not deleted"));
  }
  fs::remove_all(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("--fresh: ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

std::string RunDirLock::path_for(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) p = fs::absolute(dir).lexically_normal();
  return p.string() + ".lock";
}

absl::Status RunDirLock::share_with_children() {
  const int inherited = ::fcntl(fd_, F_DUPFD, 3);  // no FD_CLOEXEC on the duplicate
  if (inherited < 0) return absl::InternalError(absl::StrCat("run lock: dup: ", std::strerror(errno)));
  ::setenv(kRunLockHeldEnv, path_.c_str(), /*overwrite=*/1);
  return absl::OkStatus();
}

absl::StatusOr<RunDirLock> RunDirLock::acquire(const std::string& dir) {
  const std::string path = path_for(dir);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    std::ifstream(path) >> holder;
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(dir, " is in use by another ascent process (pid ",
                                                      holder.empty() ? "?" : holder, ", lock ", path,
                                                      "): one run per directory"));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  // Without the pid the lock holds all the same; only a second process's message would lack it.
  const bool wrote = ::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) > 0;
  (void)wrote;
  RunDirLock lock(fd);
  lock.path_ = path;
  return lock;
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ascent
