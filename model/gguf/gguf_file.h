// Reading GGUF, llama.cpp's model file (spec: github.com/ggml-org/ggml, docs/gguf.md), versions 2 and 3:
// "GGUF", u32 version, u64 tensor count, u64 metadata count; metadata as (string key, u32 type, value);
// tensor infos as (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset); then the data
// section at the next multiple of general.alignment (default 32). Little-endian; strings are u64 length +
// UTF-8 bytes. ne[0] is the contiguous dimension, so a tensor's row-major (PyTorch) shape is ne reversed.
// The file is memory-mapped; every error names the file, and the key, tensor or byte offset at fault.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mapped_file.h"

namespace ascent {

// One metadata value. Scalars fill i (integers, bool), f (floats) or s (string); arrays fill the vector of
// their element kind (arrays of arrays are refused).
struct GgufValue {
  enum class Kind { kInt, kFloat, kBool, kString, kIntArray, kFloatArray, kStringArray };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
};

struct GgufTensor {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] contiguous
  uint32_t type = 0;        // ggml type id (model/gguf/gguf_dequant.h)
  uint64_t offset = 0;      // into the data section
  uint64_t bytes = 0;
  int64_t numel() const;
  std::vector<int64_t> torch_shape() const;  // ne reversed
};

class GgufFile {
 public:
  static absl::StatusOr<GgufFile> open(const std::string& path);
  GgufFile(GgufFile&& o) noexcept = default;  // data_ points into map_, which moves whole
  GgufFile& operator=(GgufFile&&) = delete;
  GgufFile(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* tensor(const std::string& name) const;
  const uint8_t* data(const GgufTensor& t) const { return data_ + t.offset; }

  // Typed metadata lookups: NotFound / InvalidArgument naming the file and key.
  absl::StatusOr<int64_t> get_int(const std::string& key) const;
  absl::StatusOr<double> get_float(const std::string& key) const;  // accepts integers too
  absl::StatusOr<std::string> get_string(const std::string& key) const;
  absl::StatusOr<const GgufValue*> get(const std::string& key, GgufValue::Kind kind) const;

 private:
  GgufFile() = default;
  std::string path_;
  uint32_t version_ = 0;
  MappedFile map_;
  const uint8_t* data_ = nullptr;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> by_name_;
};

}  // namespace ascent
