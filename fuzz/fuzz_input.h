// Helpers of the libFuzzer targets (fuzz/README.md): the input as a string or as a file (readers that take a
// path get a private file under /dev/shm, rewritten for each input).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace ascent::fuzz {

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A file holding exactly the input; the same path for every input of this process.
inline std::string as_file(const uint8_t* data, size_t size, const char* suffix) {
  static const std::string dir = [] {
    std::string d = "/dev/shm/ascent-fuzz-" + std::to_string(getpid());
    std::string cmd = "mkdir -p " + d;
    if (std::system(cmd.c_str()) != 0) d = "/tmp";
    return d;
  }();
  const std::string path = dir + "/input" + suffix;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace ascent::fuzz
