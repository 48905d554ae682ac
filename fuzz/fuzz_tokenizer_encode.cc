// A real tokenizer (Qwen3's, tests/fixtures/tokenizer/qwen3) on any text and any ids: encode and decode never
// crash, and on valid UTF-8 a second round trip changes nothing (NFC is idempotent and byte-level BPE is
// lossless, so decode(encode(x)) is NFC(x) and a fixed point).
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "model/tokenizer/hf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto tok =
      ascent::HfTokenizer::load(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/qwen3/tokenizer.json");
  if (!tok.ok()) std::abort();
  const std::string text = ascent::fuzz::as_string(data, size);
  auto ids = (*tok)->encode(text);
  if (ids.ok()) {
    const std::string once = (*tok)->decode(*ids);
    auto again = (*tok)->encode(once);
    if (!again.ok() || (*tok)->decode(*again) != once) std::abort();
  }
  std::vector<int32_t> raw;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    int32_t id = 0;
    std::memcpy(&id, data + i, 4);
    raw.push_back(id);
  }
  (void)(*tok)->decode(raw);
  return 0;
}
