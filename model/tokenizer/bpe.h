// Byte-pair encoding over byte-level symbols (tokenizers' BPE model): a word's characters start as single
// symbols and the adjacent pair with the lowest merge rank is merged (leftmost first) until no pair has a
// merge. With ignore_merges (Llama-3), a word that is itself in the vocabulary is one token at once.
// Words are cached (most text repeats words).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

// Token ids a tokenizer.json may hold: [0, 2^22), the bound of a model's vocab_size (model/config.h). A larger
// or negative id is refused at load, before it sizes or indexes anything.
inline constexpr int64_t kMaxTokenId = int64_t{1} << 22;

class Bpe {
 public:
  // `model` is tokenizer.json's "model" object (type BPE).
  static absl::StatusOr<Bpe> from_json(const nlohmann::json& model, const std::string& source);
  // Appends the ids of one pre-tokenized word given in byte-level form.
  void encode_word(const std::string& word, std::vector<int32_t>* out);
  int32_t token_id(const std::string& token) const;  // -1 when absent
  const std::vector<std::string>& id_to_token() const { return id_to_token_; }

 private:
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;  // (left, right) -> (rank, merged id)
  bool ignore_merges_ = false;
  std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace ascent
