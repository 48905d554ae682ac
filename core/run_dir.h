// A run directory (run.dir/<name>/): what makes it safe to delete and safe to share.
//   - The name is plain: letters, digits, '.', '_' and '-', starting with a letter or digit (never "", ".",
//     "..", an absolute path or one with '/'), so that run.dir/<name> is always a child of run.dir.
//   - ascent marks a directory it makes (a file `.ascent-run`); --fresh deletes only a marked one (or one that
//     ascent made before the mark existed: it holds metrics.jsonl).
//   - One run at a time: the process that starts a run holds an exclusive flock(2) on run.dir/<name>.lock
//     (beside the directory, so that --fresh cannot delete it). `ascent train` hands the lock to its children
//     (an inherited descriptor of the same open file: the lock is the run's until the last of them ends, even
//     when the launcher itself is killed first); the kernel drops it when they are gone, however they end.
//     The file holds the first holder's pid, for the error message.
#pragma once

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ascent {

// InvalidArgument saying which character or form is not allowed.
absl::Status run_name_check(const std::string& name);

// Creates the directory (and its parents) and marks it as ascent's.
absl::Status run_dir_create(const std::string& dir);
// Deletes the directory when ascent made it; FailedPrecondition (nothing deleted) when it did not. Absent: ok.
absl::Status run_dir_remove(const std::string& dir);

// An exclusive lock on a run directory, held until destroyed (or the process ends).
class RunDirLock {
 public:
  // FailedPrecondition naming the holder's pid when another process holds it.
  static absl::StatusOr<RunDirLock> acquire(const std::string& dir);
  RunDirLock(RunDirLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  RunDirLock& operator=(RunDirLock&&) = delete;
  RunDirLock(const RunDirLock&) = delete;
  ~RunDirLock();
  // Lets processes spawned after this call hold the lock too (a duplicate descriptor without FD_CLOEXEC),
  // and names it in the environment (kRunLockHeldEnv = the lock file), so that the learner a launcher starts
  // knows the lock is its run's already.
  absl::Status share_with_children();
  static std::string path_for(const std::string& dir);

 private:
  explicit RunDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string path_;
};

// The environment variable by which a launcher that holds the lock tells its children which lock they share
// (its value: the lock file's path).
inline constexpr char kRunLockHeldEnv[] = "ASCENT_RUN_LOCK_HELD";

}  // namespace ascent
