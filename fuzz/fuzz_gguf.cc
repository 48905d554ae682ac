// A GGUF file (model/gguf/gguf_file.h) of any bytes: opened, every tensor of a sane size dequantised, and
// the tokenizer built from its metadata.
#include <vector>

#include "fuzz/fuzz_input.h"
#include "model/gguf/gguf_dequant.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = ascent::GgufFile::open(ascent::fuzz::as_file(data, size, ".gguf"));
  if (!f.ok()) return 0;
  for (const ascent::GgufTensor& t : f->tensors()) {
    const int64_t n = t.numel();
    if (n <= 0 || n > (1 << 20)) continue;
    std::vector<float> out(static_cast<size_t>(n));
    (void)ascent::ggml_dequantize(t.type, f->data(t), n, out.data());
  }
  (void)ascent::gguf_tokenizer_json(*f);
  (void)ascent::gguf_tokenizer_config_json(*f);
  return 0;
}
