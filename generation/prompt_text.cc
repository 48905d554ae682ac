#include "generation/prompt_text.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace ascent {

PromptText prompt_text_make(TextCodec* codec, const GenerationConfig& g) {
  PromptText t;
  t.encode = [codec, g](const std::string& prompt) -> absl::StatusOr<std::vector<int32_t>> {
    absl::StatusOr<std::vector<int32_t>> ids;
    if (g.tmpl == "chat") {
      std::vector<ChatMessage> msgs;
      if (!g.system.empty()) msgs.push_back({"system", g.system, std::nullopt});
      msgs.push_back({"user", prompt, std::nullopt});
      ChatOptions opt;
      if (!g.thinking) opt.enable_thinking = false;
      ids = codec->encode_chat(msgs, opt);
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
  return t;
}

}  // namespace ascent
