#include "core/jsonl_input.h"

#include <fstream>

#include "core/json_file.h"

namespace ascent {

namespace {

template <typename Json>
absl::Status for_each_line(const std::string& path,
                           const std::function<absl::Status(const Json&, const std::string&)>& fn) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError(path + ": cannot open");
  std::string line;
  for (int64_t lineno = 1; std::getline(f, line); ++lineno) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    if (!json_depth_ok(line))
      return absl::InvalidArgumentError(where + "nests deeper than " + std::to_string(kJsonMaxDepth) +
                                        " levels");
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError(where + "not a JSON object");
    absl::Status st = fn(j, where);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status jsonl_for_each(
    const std::string& path,
    const std::function<absl::Status(const nlohmann::json&, const std::string&)>& fn) {
  return for_each_line<nlohmann::json>(path, fn);
}

absl::Status jsonl_for_each_ordered(
    const std::string& path,
    const std::function<absl::Status(const nlohmann::ordered_json&, const std::string&)>& fn) {
  return for_each_line<nlohmann::ordered_json>(path, fn);
}

}  // namespace ascent
