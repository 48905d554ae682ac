// Chat templates of the families we support, rendered natively (no Jinja engine): a tokenizer_config.json's
// `chat_template` is recognised as Qwen3's ChatML template or as Llama-3's header template and rendered
// exactly as transformers' apply_chat_template renders it (tests/test_chat_template.cc compares 50
// renderings). Any other template is an error naming the file; the recipe can then give a raw prompt
// template instead (render_prompt_template). Tool definitions are not supported; tool-result messages are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

struct ChatMessage {
  std::string role, content;  // system | user | assistant | tool
  std::optional<std::string> reasoning_content;
};

struct ChatOptions {
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // Qwen3: false adds an empty <think></think> to the prompt
};

class ChatTemplate {
 public:
  enum class Kind { kQwen3ChatML, kLlama3Headers };
  // `path` is tokenizer_config.json or the directory holding it.
  static absl::StatusOr<ChatTemplate> load(const std::string& path);
  static absl::StatusOr<ChatTemplate> from_text(const std::string& jinja, const std::string& bos_token,
                                                const std::string& source);
  std::string render(const std::vector<ChatMessage>& messages, const ChatOptions& opt) const;
  Kind kind() const { return kind_; }

 private:
  Kind kind_ = Kind::kQwen3ChatML;
  std::string bos_;
};

// A recipe's raw prompt template: every "{prompt}" replaced by the prompt ("{{" and "}}" are literal braces).
std::string render_prompt_template(const std::string& tmpl, const std::string& prompt);

}  // namespace ascent
