// Reading a JSON object from a file, the way every loader of a model directory needs it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

// `path` itself, or `path/default_name` when path is a directory.
std::string json_file_in(const std::string& path, const std::string& default_name);
// The file's JSON object. Errors name the file: cannot open (with strerror), not a JSON object.
absl::StatusOr<nlohmann::json> json_file_read_object(const std::string& file);

}  // namespace ascent
