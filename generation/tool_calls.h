// Tool calls in a model's own format (docs/agentic.md), parsed from the text of one assistant turn, i.e. the
// sampled tokens since the prompt or since the last tool result, decoded, up to and excluding the
// end-of-turn token:
//   hermes       Qwen2.5/Qwen3, Hermes, SmolLM3: one or more blocks
//                  <tool_call>
//                  {"name": "calculator", "arguments": {"expression": "12*7"}}
//                  </tool_call>
//                after optional text; "arguments" may also be a JSON string holding the object.
//   llama3_json  Llama-3.1/3.2 JSON tool calling: the whole turn is one JSON object
//                  {"name": "calculator", "parameters": {"expression": "12*7"}}
//                optionally after "<|python_tag|>"; a turn that does not start with "{" is an answer.
// A turn that tries a call and gets it wrong (bad JSON, no name, arguments not an object, an unclosed
// <tool_call>, nested deeper than kJsonMaxDepth) is not an answer: it parses to an error with its kind, which
// the actor returns to the model as the tool result.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

enum class ToolCallFormat { kHermes, kLlama3Json };

// "hermes" | "llama3_json"; errors name the value.
absl::StatusOr<ToolCallFormat> tool_call_format_parse(std::string_view name);
const char* tool_call_format_name(ToolCallFormat f);
// The format a chat template prints tool calls in: "<tool_call>" -> hermes, "<|python_tag|>" or
// "Environment: ipython" -> llama3_json; NotFound when it shows neither (the recipe must then name one).
absl::StatusOr<ToolCallFormat> tool_call_format_detect(std::string_view chat_template);

struct ToolCall {
  std::string name;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
};

// Kinds of a failed call, the metric keys tools/errors/<kind> (with the executors' kinds: docs/agentic.md).
inline constexpr const char* kToolErrorMalformed = "malformed";  // not JSON, no name, arguments not an object
inline constexpr const char* kToolErrorTruncated = "truncated";  // <tool_call> without </tool_call>

struct ToolCallParse {
  std::vector<ToolCall> calls;  // in the order written; empty with no error: the turn is an answer
  std::string error_kind;       // empty, kToolErrorMalformed or kToolErrorTruncated
  std::string error;            // what was wrong, for the model to read (no model text echoed back)
  bool attempted() const { return !calls.empty() || !error_kind.empty(); }
};

ToolCallParse tool_calls_parse(ToolCallFormat f, std::string_view turn_text);

}  // namespace ascent
