// Writing files that a resume depends on: durably (fsync) and atomically (to path.tmp, then rename over
// path), so that a reader, a process killed mid-write or a machine that loses power sees the old file or the
// new one, never half of one or an empty one.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace ascent {

// Errors name the file and the system's reason (a full disk: "No space left on device"): PermissionDenied
// when it cannot be opened, DataLoss when a write, fsync or close fails, Internal when the rename fails. The
// directory is fsynced after the rename.
// `mode`: the file's permissions from its creation on (0600 for a key or a secret: never readable by others,
// not even for a moment).
absl::Status file_write_atomic(const std::string& path, const std::string& text, unsigned mode = 0644);

// fsync of a written file, and of a directory (so that a rename or a new entry in it survives a crash).
absl::Status file_fsync(const std::string& path);
absl::Status dir_fsync(const std::string& dir);

}  // namespace ascent
