#include "core/json_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/status.h"

namespace ascent {

std::string json_file_in(const std::string& path, const std::string& default_name) {
  return std::filesystem::is_directory(path) ? (std::filesystem::path(path) / default_name).string() : path;
}

const nlohmann::json& json_get(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

JsonNesting json_nesting(std::string_view text) {
  JsonNesting n;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (n.in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        n.in_string = false;
    } else if (c == '"') {
      n.in_string = true;
    } else if (c == '[' || c == '{') {
      n.max_depth = std::max(n.max_depth, ++n.open);
    } else if (c == ']' || c == '}') {
      --n.open;
    }
  }
  return n;
}

bool json_depth_ok(std::string_view text, int max_depth) {
  return json_nesting(text).max_depth <= max_depth;
}

absl::StatusOr<nlohmann::json> json_file_read_object(const std::string& file) {
  std::ifstream f(file);
  if (!f) return ascent_errno_error("cannot open", file);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!json_depth_ok(ss.str()))
    return absl::InvalidArgumentError(file + ": nests deeper than " + std::to_string(kJsonMaxDepth) +
                                      " levels");
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError(file + ": not a JSON object");
  return j;
}

}  // namespace ascent
