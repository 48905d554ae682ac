// Reading and writing the safetensors format: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data.
// Every error names the file and, where there is one, the tensor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mapped_file.h"
#include "model/dtype.h"

namespace ascent {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets into the data section
  uint64_t end = 0;
};

// A read-only memory map of one .safetensors file with a validated header.
class SafetensorsFile {
 public:
  static absl::StatusOr<SafetensorsFile> open(const std::string& path);
  SafetensorsFile(SafetensorsFile&& o) noexcept = default;  // data_ points into map_, which moves whole
  SafetensorsFile& operator=(SafetensorsFile&&) = delete;
  SafetensorsFile(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Converts tensor `name` to float32 into dst (numel elements); checks that the shape equals `expect_shape`.
  absl::Status read_f32(const std::string& name, const std::vector<int64_t>& expect_shape, float* dst) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  MappedFile map_;
  const uint8_t* data_ = nullptr;
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // float32, converted to dtype on write
};

// Writes atomically (to path.tmp, then rename), tensors in the order given.
absl::Status safetensors_write(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                               const std::map<std::string, std::string>& metadata);

std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace ascent
