// A directory's manifest (manifest.json in it, format ascent.manifest.v1): every regular file under it with
// its size in bytes and its CRC-32, so that a flipped bit, a truncated file or a missing one is found before
// anything is loaded. Checkpoints carry one (learner/checkpoint.h).
//
// CRC-32 is zlib's (the polynomial of gzip and PNG, already linked for the weight stream): it catches every
// error of up to 3 bits and every burst of up to 32 in a file, and reads at about memory speed. It is a check
// against corruption, not against someone who rewrites the files on purpose.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ascent {

// Reads every file under `dir` back after an fsync, then writes dir/manifest.json atomically. Errors name the
// file (DataLoss for a read, write or fsync failure).
absl::Status manifest_write(const std::string& dir);

// Checks every file the manifest names (and that it names at least one). DataLoss naming the first file that
// has another size or another CRC, or a missing or malformed manifest.json; NotFound for a missing file;
// Unavailable when a file cannot be read for another reason (EACCES, EIO: not necessarily damage).
absl::Status manifest_verify(const std::string& dir);

// zlib's CRC-32 of a whole file, read in 4 MiB pieces; *bytes gets its size. NotFound when it does not exist,
// Unavailable when it cannot be opened or read for another reason.
absl::Status file_crc32(const std::string& path, uint32_t* crc, int64_t* bytes);

}  // namespace ascent
