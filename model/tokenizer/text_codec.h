// Text <-> token ids for a model directory: its tokenizer.json when it ships one (HfTokenizer), else the byte
// tokenizer of our own small models (model/byte_tokenizer.h). What `ascent generate`, `ascent score` and the
// reward model use for text; encode_chat applies the directory's chat template first.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/hf_tokenizer.h"

namespace ascent {

class TextCodec {
 public:
  static absl::StatusOr<std::unique_ptr<TextCodec>> for_model_dir(const std::string& dir);
  absl::StatusOr<std::vector<int32_t>> encode(const std::string& text);
  std::string decode(const std::vector<int32_t>& ids) const;
  // The directory's chat template (tokenizer_config.json, read once) rendered and encoded; an error when the
  // directory has none or the template refuses the conversation.
  absl::StatusOr<std::vector<int32_t>> encode_chat(const std::vector<ChatMessage>& messages,
                                                   const ChatOptions& opt);
  // The directory's chat template, read once (it lives as long as the codec).
  absl::StatusOr<const ChatTemplate*> chat_template();
  bool is_hf() const { return hf_ != nullptr; }
  const HfTokenizer* hf() const { return hf_.get(); }

 private:
  std::unique_ptr<HfTokenizer> hf_;
  std::string dir_;
  std::optional<ChatTemplate> chat_;  // loaded by the first encode_chat
};

}  // namespace ascent
