// Length-prefixed JSON frames on a file descriptor (socket or pipe): 4-byte little-endian length, then the
// JSON text. Used between the trainer and the reward worker process.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

constexpr size_t kMaxFrameBytes = 64u << 20;

absl::Status frame_write(int fd, const nlohmann::json& j);
// Raw frames (the same length prefix, any bytes): batches of items travel as frame_pack_items.
absl::Status frame_write_raw(int fd, const std::string& body);
absl::StatusOr<std::string> frame_read_raw(int fd, int timeout_ms);

// Items as one binary frame body: u32 count, then per item 4 strings (prompt, completion, answer,
// metadata), each u32 length + bytes. Parsing JSON for megabytes of completions cost more than the rest.
struct PackedItem {
  std::string prompt, completion, answer, metadata;
};
std::string frame_pack_items(const std::vector<PackedItem>& items);
absl::StatusOr<std::vector<PackedItem>> frame_unpack_items(const std::string& body);
// Waits at most timeout_ms (< 0: forever) for the whole frame. Errors: DeadlineExceeded, Unavailable (EOF),
// DataLoss (garbage: a length over kMaxFrameBytes or text that is not JSON).
absl::StatusOr<nlohmann::json> frame_read(int fd, int timeout_ms);

}  // namespace ascent
