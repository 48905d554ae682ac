// The chat template's text between an assistant turn that called tools and the next assistant turn (the tool
// results as the template renders them), for multi-turn rollouts (docs/agentic.md). The actor appends its
// tokens after the end-of-turn token the model sampled, so the trained sequence is the model's own tokens plus
// this glue, never a re-tokenisation of rendered text.
//
// How: the template renders [user] and [user, assistant with the calls, the tool messages] with the
// generation prompt; the glue is what the second has after the assistant turn's end-of-turn text (Qwen: from
// the "\n" after <|im_end|> to "<|im_start|>assistant\n"). The assistant turn's own rendering does not
// matter (Qwen3 drops an earlier turn's <think> block there): the model's tokens stand for it. A template that
// renders the user turn differently once more messages follow is an error naming the template.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/tool_calls.h"
#include "model/tokenizer/chat_template.h"

namespace ascent {

struct ToolResult {
  std::string name;     // the tool called ("" for a call that did not parse)
  std::string content;  // what the model reads: the tool's output or an error message
};

// `calls`: the turn's parsed calls (empty for a malformed turn: the assistant message then has no tool_calls);
// `results`: one per call, or one for a malformed turn. `turn_ends`: the texts of the model's end-of-turn
// tokens (its eos ids). `opt` as for the prompt (tools, enable_thinking); add_generation_prompt is ignored.
absl::StatusOr<std::string> tool_glue_text(const ChatTemplate& tmpl,
                                           const std::vector<std::string>& turn_ends,
                                           const std::vector<ToolCall>& calls,
                                           const std::vector<ToolResult>& results, ChatOptions opt);

}  // namespace ascent
