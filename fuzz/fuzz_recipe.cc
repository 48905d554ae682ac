// The recipe loader (job/recipe.h) on any text: an error or a recipe, never a crash or an uncaught exception.
#include "fuzz/fuzz_input.h"
#include "job/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = ascent::recipe_parse(ascent::fuzz::as_string(data, size), "/fuzz/recipe.yaml");
  if (r.ok()) (void)ascent::recipe_resolved_yaml(*r);
  return 0;
}
