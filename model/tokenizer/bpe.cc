#include "model/tokenizer/bpe.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"

namespace ascent {

namespace {
uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
size_t utf8_len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}
}  // namespace

absl::StatusOr<Bpe> Bpe::from_json(const nlohmann::json& model, const std::string& source) {
  if (!model.is_object() || model.value("type", "") != "BPE") {
    return absl::InvalidArgumentError(absl::StrCat(source, ": model.type: only BPE is supported"));
  }
  if (model.contains("dropout") && !model["dropout"].is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": model.dropout: BPE dropout is not supported"));
  }
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(k) && model[k].is_string() && !model[k].get<std::string>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.", k, ": not supported"));
    }
  }
  Bpe b;
  b.ignore_merges_ = model.value("ignore_merges", false);
  const nlohmann::json& vocab = json_get(model, "vocab");
  if (!vocab.is_object())
    return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab: expected an object"));
  int32_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": model.vocab[\"", it.key(), "\"]: expected an id"));
    }
    // An id outside [0, 2^22) (the bound of a model's vocab_size) is refused before it indexes anything.
    const int64_t wide = it.value().is_number_unsigned() && it.value().get<uint64_t>() > (uint64_t{1} << 62)
                             ? -1
                             : it.value().get<int64_t>();
    if (wide < 0 || wide >= kMaxTokenId) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.vocab[\"", it.key(), "\"]: id ",
                                                     it.value().dump(), " is outside [0, ", kMaxTokenId,
                                                     ")"));
    }
    const auto id = static_cast<int32_t>(wide);
    b.vocab_.emplace(it.key(), id);
    max_id = std::max(max_id, id);
  }
  b.id_to_token_.assign(static_cast<size_t>(max_id) + 1, "");
  for (const auto& [tok, id] : b.vocab_) b.id_to_token_[id] = tok;
  const nlohmann::json& merges = json_get(model, "merges");
  if (!merges.is_array())
    return absl::InvalidArgumentError(absl::StrCat(source, ": model.merges: expected a list"));
  int32_t rank = 0;
  for (const nlohmann::json& m : merges) {
    std::string left, right;
    if (m.is_string()) {  // "a b" (older files, Llama-3)
      const std::string s = m.get<std::string>();
      const size_t sp = s.find(' ', 1);
      if (sp == std::string::npos)
        return absl::InvalidArgumentError(absl::StrCat(source, ": model.merges[", rank, "]: no space"));
      left = s.substr(0, sp), right = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"] (Qwen3)
      left = m[0].get<std::string>(), right = m[1].get<std::string>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": model.merges[", rank, "]: expected \"a b\" or [a, b]"));
    }
    const int32_t l = b.token_id(left), r = b.token_id(right), merged = b.token_id(left + right);
    if (l < 0 || r < 0 || merged < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": model.merges[", rank, "]: '", left, "' + '",
                                                     right, "' is not in the vocabulary"));
    }
    b.merges_.emplace(pair_key(l, r), std::pair{rank, merged});  // the first (lowest) rank wins
    ++rank;
  }
  return b;
}

int32_t Bpe::token_id(const std::string& token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

void Bpe::encode_word(const std::string& word, std::vector<int32_t>* out) {
  if (auto it = cache_.find(word); it != cache_.end()) {
    out->insert(out->end(), it->second.begin(), it->second.end());
    return;
  }
  std::vector<int32_t> syms;
  if (int32_t whole = ignore_merges_ ? token_id(word) : -1; whole >= 0) {
    syms.push_back(whole);
  } else {
    for (size_t i = 0; i < word.size();) {
      const size_t n = utf8_len(static_cast<unsigned char>(word[i]));
      syms.push_back(token_id(word.substr(i, n)));  // byte-level characters are all in the vocabulary
      i += n;
    }
    for (;;) {
      int32_t best = INT_MAX, merged = -1;
      for (size_t i = 0; i + 1 < syms.size(); ++i) {
        auto it = merges_.find(pair_key(syms[i], syms[i + 1]));
        if (it != merges_.end() && it->second.first < best)
          best = it->second.first, merged = it->second.second;
      }
      if (merged < 0) break;
      // Merge every occurrence of that pair, left to right (what repeated leftmost merges give).
      std::vector<int32_t> next;
      next.reserve(syms.size());
      for (size_t i = 0; i < syms.size(); ++i) {
        if (i + 1 < syms.size()) {
          auto it = merges_.find(pair_key(syms[i], syms[i + 1]));
          if (it != merges_.end() && it->second.first == best) {
            next.push_back(merged);
            ++i;
            continue;
          }
        }
        next.push_back(syms[i]);
      }
      syms.swap(next);
    }
  }
  if (cache_.size() < 200000) cache_.emplace(word, syms);
  out->insert(out->end(), syms.begin(), syms.end());
}

}  // namespace ascent
