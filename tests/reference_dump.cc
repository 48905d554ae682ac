#include "tests/reference_dump.h"

#include <cmath>
#include <cstring>
#include <fstream>

namespace ascent {

absl::StatusOr<std::map<std::string, RefTensor>> reference_dump_read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return absl::NotFoundError(path + ": cannot open (regenerate with tests/reference/make_reference.sh)");
  char magic[8];
  f.read(magic, 8);
  if (!f || std::memcmp(magic, "ASCREF\0\0", 8) != 0) return absl::DataLossError(path + ": bad magic");
  uint32_t version = 0, count = 0;
  f.read(reinterpret_cast<char*>(&version), 4);
  f.read(reinterpret_cast<char*>(&count), 4);
  if (version != 1) return absl::DataLossError(path + ": unsupported version " + std::to_string(version));
  std::map<std::string, RefTensor> out;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0, ndim = 0;
    f.read(reinterpret_cast<char*>(&len), 4);
    std::string name(len, '\0');
    f.read(name.data(), len);
    f.read(reinterpret_cast<char*>(&ndim), 4);
    RefTensor t;
    t.shape.resize(ndim);
    int64_t numel = 1;
    for (auto& d : t.shape) {
      f.read(reinterpret_cast<char*>(&d), 8);
      numel *= d;
    }
    t.data.resize(static_cast<size_t>(numel));
    f.read(reinterpret_cast<char*>(t.data.data()), numel * 4);
    if (!f) return absl::DataLossError(path + ": truncated at tensor " + name);
    out[name] = std::move(t);
  }
  return out;
}

Diff diff_max(const float* a, const float* b, int64_t n) {
  Diff d;
  for (int64_t i = 0; i < n; ++i) {
    d.max_abs = std::max(d.max_abs, std::fabs(static_cast<double>(a[i]) - b[i]));
    d.ref_max = std::max(d.ref_max, std::fabs(static_cast<double>(b[i])));
  }
  return d;
}

std::string fixture_path(const std::string& name) {
  return std::string(ASCENT_SOURCE_DIR) + "/tests/fixtures/" + name;
}

std::vector<int32_t> ref_ids(const RefTensor& t) {
  std::vector<int32_t> ids;
  for (float x : t.data) ids.push_back(static_cast<int32_t>(x));
  return ids;
}

}  // namespace ascent
