// A safetensors file (model/safetensors.h) of any bytes: opened, and every tensor of a sane size read as
// float32 with its own shape.
#include <vector>

#include "fuzz/fuzz_input.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = ascent::SafetensorsFile::open(ascent::fuzz::as_file(data, size, ".safetensors"));
  if (!f.ok()) return 0;
  for (const auto& [name, e] : f->entries()) {
    int64_t n = 1;
    for (int64_t d : e.shape) n = (d >= 0 && d < (1 << 20) && n < (1 << 20)) ? n * d : (1 << 30);
    if (n > (1 << 20)) continue;
    std::vector<float> out(static_cast<size_t>(n));
    (void)f->read_f32(name, e.shape, out.data());
  }
  return 0;
}
