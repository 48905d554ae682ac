// Reader for the reference dumps written by tests/reference/make_reference.py (format documented there).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

absl::StatusOr<std::map<std::string, RefTensor>> reference_dump_read(const std::string& path);

// Largest |a - b| over the elements, and largest |b| (for relative tolerances).
struct Diff {
  double max_abs = 0, ref_max = 0;
};
Diff diff_max(const float* a, const float* b, int64_t n);

// tests/fixtures/<name> in the source tree.
std::string fixture_path(const std::string& name);
// A dumped token sequence (stored as floats) as ids.
std::vector<int32_t> ref_ids(const RefTensor& t);

}  // namespace ascent
