// Reading a JSON object from a file, the way every loader of a model directory needs it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

// `path` itself, or `path/default_name` when path is a directory.
std::string json_file_in(const std::string& path, const std::string& default_name);
// The file's JSON object. Errors name the file: cannot open (with strerror), not a JSON object, nested deeper
// than kJsonMaxDepth.
absl::StatusOr<nlohmann::json> json_file_read_object(const std::string& file);

// j[key] of a const JSON value without nlohmann's undefined behaviour (its const operator[] reads past the map
// when the key is absent; fuzz/fuzz_tokenizer_load.cc found it): null when j is not an object or lacks key.
const nlohmann::json& json_get(const nlohmann::json& j, const char* key);

// How deep any JSON that ascent reads may nest: far above every real file (tokenizer.json nests 5 levels), and
// low enough that nlohmann's recursive dump() and comparisons cannot run out of stack (100k levels did).
inline constexpr int kJsonMaxDepth = 128;
// How `text` nests arrays and objects (strings and escapes skipped), by a scan without recursion, run before
// parsing: the deepest level, the levels still open at the end, and whether it ends inside a string.
struct JsonNesting {
  int max_depth = 0, open = 0;
  bool in_string = false;
};
JsonNesting json_nesting(std::string_view text);
// Whether `text` nests arrays and objects at most `max_depth` deep.
bool json_depth_ok(std::string_view text, int max_depth = kJsonMaxDepth);

}  // namespace ascent
