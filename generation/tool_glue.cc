#include "generation/tool_glue.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace ascent {

namespace {

using json = nlohmann::ordered_json;

// A tool's name as the template sees it: characters outside [A-Za-z0-9_.-] become '_'.
std::string safe_tool_name(std::string name) {
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-') ch = '_';
  }
  return name;
}

// The calls as the template renders them, without what the model wrote into them: names through
// safe_tool_name, the arguments left out, so that an end-of-turn text inside a
// call (`{"expression": "<|im_end|>"}`) cannot move where the assistant turn seems to end. The glue after
// the turn does not depend on them.
json assistant_message(const std::vector<ToolCall>& calls) {
  json m = {{"role", "assistant"}, {"content", ""}};
  if (calls.empty()) return m;
  json tc = json::array();
  for (const ToolCall& c : calls) {
    tc.push_back({{"type", "function"},
                  {"function", {{"name", safe_tool_name(c.name)}, {"arguments", json::object()}}}});
  }
  m["tool_calls"] = std::move(tc);
  return m;
}

}  // namespace

absl::StatusOr<std::string> tool_glue_text(const ChatTemplate& tmpl,
                                           const std::vector<std::string>& turn_ends,
                                           const std::vector<ToolCall>& calls,
                                           const std::vector<ToolResult>& results, ChatOptions opt) {
  json msgs = json::array({{{"role", "user"}, {"content", "?"}}});
  opt.add_generation_prompt = false;
  absl::StatusOr<std::string> head = tmpl.render_json(msgs, opt);
  if (!head.ok()) return head.status();
  msgs.push_back(assistant_message(calls));
  for (const ToolResult& r : results) {
    msgs.push_back({{"role", "tool"}, {"name", safe_tool_name(r.name)}, {"content", r.content}});
  }
  opt.add_generation_prompt = true;
  absl::StatusOr<std::string> conv = tmpl.render_json(msgs, opt);
  if (!conv.ok()) return conv.status();
  if (conv->compare(0, head->size(), *head) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(tmpl.source(),
                     ": the chat template renders the user turn differently once an assistant "
                     "turn and tool results follow; multi-turn rollouts need one whose "
                     "conversation only grows"));
  }
  // The assistant turn ends at the first end-of-turn text after the user turn.
  size_t end = std::string::npos, end_len = 0;
  for (const std::string& t : turn_ends) {
    const size_t at = t.empty() ? std::string::npos : conv->find(t, head->size());
    if (at != std::string::npos && at < end) end = at, end_len = t.size();
  }
  if (end == std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(tmpl.source(), ": the chat template ends no assistant turn with an end-of-turn token"));
  }
  return conv->substr(end + end_len);
}

}  // namespace ascent
