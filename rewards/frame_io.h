// Length-prefixed JSON frames on a file descriptor (socket or pipe): 4-byte little-endian length, then the
// JSON text. Used between the trainer and the reward worker process.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

constexpr size_t kMaxFrameBytes = 64u << 20;

absl::Status frame_write(int fd, const nlohmann::json& j);
// Waits at most timeout_ms (< 0: forever) for the whole frame. Errors: DeadlineExceeded, Unavailable (EOF),
// DataLoss (garbage: a length over kMaxFrameBytes or text that is not JSON).
absl::StatusOr<nlohmann::json> frame_read(int fd, int timeout_ms);
