#include "generation/tool_calls.h"

#include "absl/strings/str_cat.h"
#include "core/json_file.h"

namespace ascent {

namespace {

constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>", kPythonTag = "<|python_tag|>";

std::string_view strip(std::string_view t) {
  const size_t a = t.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  return t.substr(a, t.find_last_not_of(" \t\r\n") - a + 1);
}

ToolCallParse fail(const char* kind, std::string why) {
  ToolCallParse p;
  p.error_kind = kind;
  p.error = std::move(why);
  return p;
}

// One call's JSON object: {"name": string, <args_key>: object or a JSON string holding one}.
absl::StatusOr<ToolCall> call_from_json(std::string_view text, const char* args_key) {
  if (!json_depth_ok(text)) {
    return absl::InvalidArgumentError(absl::StrCat("nests deeper than ", kJsonMaxDepth, " levels"));
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    return absl::InvalidArgumentError("no \"name\" string");
  }
  ToolCall c;
  c.name = name->get<std::string>();
  auto args = j.find(args_key);
  if (args == j.end() || args->is_null()) return c;  // a call without arguments
  if (args->is_string()) {                           // arguments JSON-encoded in a string (some models)
    const std::string inner = args->get<std::string>();
    if (!json_depth_ok(inner)) return absl::InvalidArgumentError("arguments nest too deep");
    nlohmann::ordered_json a = nlohmann::ordered_json::parse(inner, nullptr, false);
    if (a.is_discarded() || !a.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", args_key, "\" is a string but not a JSON object"));
    }
    c.arguments = std::move(a);
    return c;
  }
  if (!args->is_object())
    return absl::InvalidArgumentError(absl::StrCat("\"", args_key, "\" is not an object"));
  c.arguments = std::move(*args);
  return c;
}

ToolCallParse parse_hermes(std::string_view text) {
  ToolCallParse p;
  size_t at = 0;
  for (int k = 1;; ++k) {
    const size_t open = text.find(kOpen, at);
    if (open == std::string_view::npos) break;
    const size_t body = open + kOpen.size();
    size_t close = text.find(kClose, body);
    if (close == std::string_view::npos) {
      return fail(kToolErrorTruncated, absl::StrCat("tool call ", k, ": the call is never closed"));
    }
    // The first </tool_call> after which the body is a call: a JSON string may itself hold "</tool_call>".
    absl::StatusOr<ToolCall> first = absl::UnknownError("");
    // At most 8 candidates: each is a full parse, and this runs on the decode thread.
    int tries = 0;
    for (size_t end = close; end != std::string_view::npos && tries++ < 8; end = text.find(kClose, end + 1)) {
      absl::StatusOr<ToolCall> c = call_from_json(strip(text.substr(body, end - body)), "arguments");
      if (end == close) first = c;
      if (c.ok()) {
        first = std::move(c);
        close = end;
        break;
      }
    }
    if (!first.ok())
      return fail(kToolErrorMalformed, absl::StrCat("tool call ", k, ": ", first.status().message()));
    p.calls.push_back(*std::move(first));
    at = close + kClose.size();
  }
  return p;
}

ToolCallParse parse_llama3_json(std::string_view text) {
  std::string_view t = strip(text);
  if (t.substr(0, kPythonTag.size()) == kPythonTag) t = strip(t.substr(kPythonTag.size()));
  if (t.empty() || t.front() != '{') return {};  // an answer
  ToolCallParse p;
  absl::StatusOr<ToolCall> c = call_from_json(t, "parameters");
  if (!c.ok()) {
    // A cut-off object is a truncated call; anything else that starts like one is malformed.
    const JsonNesting n = json_nesting(t);
    return fail(n.in_string || n.open > 0 ? kToolErrorTruncated : kToolErrorMalformed,
                absl::StrCat("tool call: ", c.status().message()));
  }
  p.calls.push_back(*std::move(c));
  return p;
}

}  // namespace

absl::StatusOr<ToolCallFormat> tool_call_format_parse(std::string_view name) {
  if (name == "hermes") return ToolCallFormat::kHermes;
  if (name == "llama3_json") return ToolCallFormat::kLlama3Json;
  return absl::InvalidArgumentError("tool call format \"" + std::string(name) + "\": hermes or llama3_json");
}

const char* tool_call_format_name(ToolCallFormat f) {
  return f == ToolCallFormat::kHermes ? "hermes" : "llama3_json";
}

absl::StatusOr<ToolCallFormat> tool_call_format_detect(std::string_view chat_template) {
  if (chat_template.find(kOpen) != std::string_view::npos) return ToolCallFormat::kHermes;
  if (chat_template.find(kPythonTag) != std::string_view::npos ||
      chat_template.find("Environment: ipython") != std::string_view::npos) {
    return ToolCallFormat::kLlama3Json;
  }
  return absl::NotFoundError("the chat template shows no tool-call format (<tool_call> or <|python_tag|>)");
}

ToolCallParse tool_calls_parse(ToolCallFormat f, std::string_view turn_text) {
  return f == ToolCallFormat::kHermes ? parse_hermes(turn_text) : parse_llama3_json(turn_text);
}

}  // namespace ascent
