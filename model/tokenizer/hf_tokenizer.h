// A Hugging Face tokenizer read from tokenizer.json: byte-level BPE (Qwen2/2.5/3, Llama-3), as the
// `tokenizers` library runs it:
//   added tokens are found first (leftmost, longest; lstrip/rstrip honoured) and become their ids;
//   the text between them is normalised (NFC where the file says so; utf8proc), pre-tokenized (PCRE2 split
//   regex, then byte-level), and each piece BPE-encoded;
//   with add_special_tokens, the post-processor's template adds e.g. Llama-3's <|begin_of_text|>.
// Decoding maps tokens back to bytes; invalid UTF-8 (a token sequence cut inside a character) becomes U+FFFD
// as in tokenizers. StreamDecoder emits text as tokens arrive, holding back an incomplete character.
// Not thread-safe (word cache, regex match data): one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "core/utf8.h"  // utf8_lossy, utf8_complete_prefix
#include "model/tokenizer/bpe.h"
#include "model/tokenizer/pretokenizer.h"

namespace ascent {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false, lstrip = false, rstrip = false, normalized = false;
};

class HfTokenizer {
 public:
  // `path` is tokenizer.json or the directory holding it.
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> load(const std::string& path);

  // Fails only on invalid UTF-8 input (the error names the byte offset).
  absl::StatusOr<std::vector<int32_t>> encode(const std::string& text, bool add_special_tokens = false);
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;
  // The bytes of one token (byte-level decoded; an added token's content).
  std::string token_bytes(int32_t id) const;

  int32_t token_id(const std::string& token) const;  // -1 when absent (checks added tokens too)
  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  bool is_special(int32_t id) const;
  // The contents of the added tokens (<|im_end|>, <tool_call>, ...): text that encode() turns into those ids.
  std::vector<std::string> added_token_texts() const;

 private:
  HfTokenizer() = default;
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> load_json(const nlohmann::json& j,
                                                                const std::string& file);
  void encode_plain(const std::string& text, std::vector<int32_t>* out);

  std::unique_ptr<Bpe> bpe_;
  std::unique_ptr<PreTokenizer> pre_;
  std::string normalizer_;  // "" or "NFC" / "NFKC" / "NFD" / "NFKD"
  std::vector<AddedToken> added_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  struct TrieNode {
    std::unordered_map<unsigned char, size_t> next;
    int32_t token = -1;  // index into added_ of the token ending here
  };
  std::vector<TrieNode> trie_{1};                           // the added tokens' contents; node 0 is the root
  std::vector<int32_t> template_prefix_, template_suffix_;  // add_special_tokens
  std::vector<std::string> id_to_token_;
};

class StreamDecoder {
 public:
  explicit StreamDecoder(const HfTokenizer& tok) : tok_(tok) {}
  // The text that became complete with this token (possibly empty while a character is incomplete).
  std::string push(int32_t id);
  // Whatever is held back, with an incomplete character as U+FFFD.
  std::string finish();

 private:
  const HfTokenizer& tok_;
  std::string pending_;
};

}  // namespace ascent
