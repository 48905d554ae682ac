#include "core/json_file.h"

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

bool json_depth_ok(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
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
