// Prompt text glue: a prompt's text to the model's input tokens through the recipe's template (a format
// string with {prompt}, or the model's chat template with an optional system message), completion tokens
// back to text for the rewards, and a token's bytes for stop strings. Used by the actor, validation and SFT.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/generation_config.h"
#include "model/tokenizer/text_codec.h"

namespace ascent {

struct PromptText {
  // The template applied; error when the prompt is longer than generation.prompt_max_tokens.
  std::function<absl::StatusOr<std::vector<int32_t>>(const std::string& prompt)> encode;
  std::function<absl::StatusOr<std::vector<int32_t>>(const std::string& text)> encode_plain;  // no template
  std::function<std::string(const std::vector<int32_t>&)> decode;
  std::function<std::string(int32_t)> token_bytes;  // may be null
  // With the recipe's `tools:` on: a tool session for one decode loop under settings `s` (its requests'
  // hook); null otherwise. Call it on the thread that decodes (the session uses the codec there).
  std::function<absl::StatusOr<std::unique_ptr<ToolHook>>(const DecodeSettings& s)> tool_session;
};

// The codec must outlive the result.
PromptText prompt_text_make(TextCodec* codec, const GenerationConfig& g);

// t.tool_session(s) when the recipe's tools are on, else null (single-turn): a decode loop's tool hook.
absl::StatusOr<std::unique_ptr<ToolHook>> tool_hook_make(const PromptText& t, const DecodeSettings& s);

}  // namespace ascent
