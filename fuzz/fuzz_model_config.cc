// config.json (model/config.h) on any text; a config that parses must also lay out its parameters.
#include "fuzz/fuzz_input.h"
#include "model/config.h"
#include "model/params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = ascent::model_config_parse(ascent::fuzz::as_string(data, size), "config.json");
  if (c.ok()) (void)ascent::param_layout_build(*c);
  return 0;
}
