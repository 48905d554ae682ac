// A tool that a policy calls in the middle of a completion (docs/agentic.md): a name, a JSON-schema
// description that the chat template shows the model (the "tools" of apply_chat_template), and run(), which
// turns the call's arguments into the text the model reads next. A tool never throws and never takes the
// actor down: a bad call, a failure or a timeout is a ToolOutput with ok = false, an error kind (the metric
// tools/errors/<kind>) and a message for the model.
#pragma once

#include <chrono>
#include <string>

#include "nlohmann/json.hpp"

namespace ascent {

// Error kinds of a call (with generation/tool_calls.h's malformed and truncated).
inline constexpr const char* kToolErrorUnknownTool = "unknown_tool";
inline constexpr const char* kToolErrorBadArguments = "bad_arguments";  // missing or ill-typed arguments
inline constexpr const char* kToolErrorFailed = "failed";               // the tool ran and refused or failed
inline constexpr const char* kToolErrorTimeout = "timeout";             // past the per-call deadline
inline constexpr const char* kToolErrorLimit = "limit";                 // over the completion's call budget
inline constexpr const char* kToolErrorOutputLimit = "output_limit";    // a program printed too much: stopped

struct ToolOutput {
  bool ok = false;
  std::string text;        // the result, or the error message the model reads
  std::string error_kind;  // empty when ok
};
ToolOutput tool_ok(std::string text);
ToolOutput tool_error(const char* kind, std::string message);

using ToolDeadline = std::chrono::steady_clock::time_point;

class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string name() const = 0;
  // {"type": "function", "function": {"name", "description", "parameters": JSON schema}}.
  virtual nlohmann::ordered_json schema() const = 0;
  // Thread-safe: calls of several completions run at once. Work past `deadline` may be cut short.
  virtual ToolOutput run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const = 0;
};

}  // namespace ascent
