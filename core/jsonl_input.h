// The JSONL input files of the `ascent` subcommands: one JSON object per non-blank line.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace ascent {

// Calls fn(object, where) for every non-blank line, where = "file:line: " for the caller's own messages.
// Errors: the file cannot be opened, a line is not a JSON object, or the first error fn returns.
absl::Status jsonl_for_each(const std::string& path,
                            const std::function<absl::Status(const nlohmann::json&, const std::string&)>& fn);
// The same with each object's key order kept (what a chat template prints with tojson).
absl::Status jsonl_for_each_ordered(
    const std::string& path,
    const std::function<absl::Status(const nlohmann::ordered_json&, const std::string&)>& fn);

}  // namespace ascent
