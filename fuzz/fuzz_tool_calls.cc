// Tool calls as a policy writes them (generation/tool_calls.h) in both formats, and the calculator tool
// (tools/calculator.h) on every expression a parsed call carries: the whole path from a model's text to a
// tool's answer that runs on an actor's decode thread and tool workers.
#include "fuzz/fuzz_input.h"
#include "generation/tool_calls.h"
#include "tools/calculator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = ascent::fuzz::as_string(data, size);
  const ascent::Calculator calc;
  for (ascent::ToolCallFormat f : {ascent::ToolCallFormat::kHermes, ascent::ToolCallFormat::kLlama3Json}) {
    const ascent::ToolCallParse p = ascent::tool_calls_parse(f, in);
    for (const ascent::ToolCall& c : p.calls) (void)calc.run(c.arguments, ascent::ToolDeadline::max());
  }
  (void)ascent::calculator_evaluate(in);
  return 0;
}
