// Small helpers of the bad-input and checkpoint suites: an empty scratch directory per case, a status's
// message as a string, and the least run state a checkpoint needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace ascent {

// $TMPDIR/ascent_<suite>_<name>, emptied.
inline std::string scratch_dir(const std::string& suite, const std::string& name) {
  const std::filesystem::path d = std::filesystem::temp_directory_path() / ("ascent_" + suite + "_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

inline std::string status_text(const absl::Status& st) {
  return std::string(st.message());
}

// state.json of a checkpoint at `step` (format ascent.run_state.v1, nothing else).
inline nlohmann::json run_state_at(int64_t step) {
  return {{"format", "ascent.run_state.v1"}, {"step", step}};
}

}  // namespace ascent
