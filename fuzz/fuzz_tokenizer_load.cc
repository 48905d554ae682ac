// tokenizer.json (model/tokenizer/hf_tokenizer.h) of any text: an error or a tokenizer, which then encodes
// and decodes a fixed string.
#include "fuzz/fuzz_input.h"
#include "model/tokenizer/hf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = ascent::HfTokenizer::load(ascent::fuzz::as_file(data, size, ".json"));
  if (!t.ok()) return 0;
  auto ids = (*t)->encode("Hello, world! 12+34= \xC3\xA9\xF0\x9F\x98\x80", true);
  if (ids.ok()) (void)(*t)->decode(*ids);
  return 0;
}
