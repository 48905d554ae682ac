#include "model/tokenizer/text_codec.h"

#include <filesystem>

#include "model/byte_tokenizer.h"

namespace ascent {

absl::StatusOr<std::unique_ptr<TextCodec>> TextCodec::for_model_dir(const std::string& dir) {
  auto c = std::make_unique<TextCodec>();
  c->dir_ = dir;
  if (std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json")) {
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::load(dir);
    if (!t.ok()) return t.status();
    c->hf_ = std::move(*t);
  }
  return c;
}

absl::StatusOr<std::vector<int32_t>> TextCodec::encode(const std::string& text) {
  if (hf_) return hf_->encode(text);
  return byte_tokenizer_encode(text);
}

std::string TextCodec::decode(const std::vector<int32_t>& ids) const {
  return hf_ ? hf_->decode(ids) : byte_tokenizer_decode(ids);
}

absl::StatusOr<const ChatTemplate*> TextCodec::chat_template() {
  if (!chat_) {
    absl::StatusOr<ChatTemplate> t = ChatTemplate::load(dir_);
    if (!t.ok()) return t.status();
    chat_ = std::move(*t);
  }
  return &*chat_;
}

absl::StatusOr<std::vector<int32_t>> TextCodec::encode_chat(const std::vector<ChatMessage>& messages,
                                                            const ChatOptions& opt) {
  absl::StatusOr<const ChatTemplate*> chat = chat_template();
  if (!chat.ok()) return chat.status();
  absl::StatusOr<std::string> text = (*chat)->render(messages, opt);
  if (!text.ok()) return text.status();
  return encode(*text);
}

}  // namespace ascent
