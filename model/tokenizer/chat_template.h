// Chat templates: a tokenizer_config.json's `chat_template` (a string, or a list of {"name", "template"} of
// which "default" is taken) rendered by a real Jinja engine (model/tokenizer/jinja_render.h: Python's jinja2
// set up as transformers' apply_chat_template sets it up), with the file's special tokens (bos_token,
// eos_token, unk_token, pad_token, ...) as variables. Every model's template renders, tools and reasoning
// included (tests/test_chat_template.cc compares with apply_chat_template over several families). A recipe
// can instead give a raw prompt template (render_prompt_template).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

struct ChatMessage {
  std::string role, content;  // system | user | assistant | tool
  std::optional<std::string> reasoning_content;
};

struct ChatOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // Qwen3: false adds an empty <think></think> to the prompt
  // JSON with its key order kept (ordered_json): templates print tools with tojson, in the order given.
  nlohmann::ordered_json tools;  // null, or a list of tool (function) definitions
  nlohmann::ordered_json extra;  // null, or an object of more template variables (date_string, ...)
};

class ChatTemplate {
 public:
  // `path` is tokenizer_config.json or the directory holding it.
  static absl::StatusOr<ChatTemplate> load(const std::string& path);
  // `special_tokens`: an object of template variables such as {"bos_token": "<s>"}; `source` prefixes errors.
  static ChatTemplate from_text(std::string jinja, nlohmann::ordered_json special_tokens, std::string source);
  absl::StatusOr<std::string> render(const std::vector<ChatMessage>& messages, const ChatOptions& opt) const;
  // Messages as JSON objects, passed to the template as they are (tool_calls, reasoning_content, ...).
  absl::StatusOr<std::string> render_json(const nlohmann::ordered_json& messages,
                                          const ChatOptions& opt) const;
  const std::string& source() const { return source_; }
  const std::string& jinja() const { return jinja_; }  // the template's text

 private:
  std::string jinja_, source_;
  nlohmann::ordered_json tokens_ = nlohmann::ordered_json::object();
};

// A recipe's raw prompt template: every "{prompt}" replaced by the prompt ("{{" and "}}" are literal braces).
std::string render_prompt_template(const std::string& tmpl, const std::string& prompt);

}  // namespace ascent
