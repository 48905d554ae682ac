#include "generation/prompt_text.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "generation/tool_session.h"

namespace ascent {

PromptText prompt_text_make(TextCodec* codec, const GenerationConfig& g) {
  PromptText t;
  // With tools, the chat template lists them for the model (an unknown name fails every prompt, loudly).
  const absl::StatusOr<ChatOptions> chat = chat_options_for(g);
  t.encode = [codec, g, chat](const std::string& prompt) -> absl::StatusOr<std::vector<int32_t>> {
    if (!chat.ok()) return chat.status();
    absl::StatusOr<std::vector<int32_t>> ids;
    if (g.tmpl == "chat") {
      std::vector<ChatMessage> msgs;
      if (!g.system.empty()) msgs.push_back({"system", g.system, std::nullopt});
      msgs.push_back({"user", prompt, std::nullopt});
      ids = codec->encode_chat(msgs, *chat);
    } else {
      ids = codec->encode(render_prompt_template(g.tmpl, prompt));
    }
    if (ids.ok() && static_cast<int64_t>(ids->size()) > g.prompt_max_tokens) {
      return absl::InvalidArgumentError(absl::StrCat("the prompt is ", ids->size(),
                                                     " tokens, above generation.prompt_max_tokens ",
                                                     g.prompt_max_tokens));
    }
    return ids;
  };
  t.encode_plain = [codec](const std::string& s) { return codec->encode(s); };
  t.decode = [codec](const std::vector<int32_t>& ids) { return codec->decode(ids); };
  if (codec->is_hf()) {
    t.token_bytes = [codec](int32_t id) { return codec->hf()->token_bytes(id); };
  } else {
    t.token_bytes = [codec](int32_t id) { return codec->decode({id}); };
  }
  if (g.tools.on()) {
    t.tool_session = [codec, g](const DecodeSettings& s) -> absl::StatusOr<std::unique_ptr<ToolHook>> {
      absl::StatusOr<std::unique_ptr<ToolSession>> ts = tool_session_make(g, s, codec);
      if (!ts.ok()) return ts.status();
      return std::unique_ptr<ToolHook>(*std::move(ts));
    };
  }
  return t;
}

absl::StatusOr<std::unique_ptr<ToolHook>> tool_hook_make(const PromptText& t, const DecodeSettings& s) {
  if (!t.tool_session) return std::unique_ptr<ToolHook>();
  return t.tool_session(s);
}

}  // namespace ascent
