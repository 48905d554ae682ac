#include "core/json_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/status.h"

namespace ascent {

std::string json_file_in(const std::string& path, const std::string& default_name) {
  return std::filesystem::is_directory(path) ? (std::filesystem::path(path) / default_name).string() : path;
}

absl::StatusOr<nlohmann::json> json_file_read_object(const std::string& file) {
  std::ifstream f(file);
  if (!f) return ascent_errno_error("cannot open", file);
  std::stringstream ss;
  ss << f.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError(file + ": not a JSON object");
  return j;
}

}  // namespace ascent
