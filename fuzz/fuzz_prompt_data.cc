// The training data reader (job/prompt_data.h) on any JSONL bytes: file:line errors or prompts.
#include "fuzz/fuzz_input.h"
#include "job/prompt_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ascent::prompt_data_read_jsonl(ascent::fuzz::as_file(data, size, ".jsonl"));
  return 0;
}
