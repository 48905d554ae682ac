// A whole file mapped read-only into memory (mmap, MAP_PRIVATE), unmapped when the object goes; move-only.
// The checkpoint and model readers (safetensors, GGUF) parse their headers in place through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ascent {

class MappedFile {
 public:
  // Errors name the file and the failing call (open, stat, mmap) with strerror. An empty file maps to
  // size() == 0 and data() == nullptr.
  static absl::StatusOr<MappedFile> open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ascent
