#include "model/tokenizer/hf_tokenizer.h"

#include <utf8proc.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"
#include "core/status.h"
#include "core/utf8.h"
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/unicode_space.h"

namespace ascent {

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::load(const std::string& path) {
  const std::string file = json_file_in(path, "tokenizer.json");
  ASCENT_ASSIGN_OR_RETURN(nlohmann::json j, json_file_read_object(file));
  // A field of an unexpected type deep in the file (a number where a string belongs): an error naming the
  // file, never an uncaught exception.
  try {
    return load_json(j, file);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::load_json(const nlohmann::json& j,
                                                                    const std::string& file) {
  std::unique_ptr<HfTokenizer> t(new HfTokenizer);
  ASCENT_ASSIGN_OR_RETURN(Bpe bpe, Bpe::from_json(json_get(j, "model"), file));
  t->bpe_ = std::make_unique<Bpe>(std::move(bpe));
  ASCENT_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::from_json(json_get(j, "pre_tokenizer"), file));
  t->pre_ = std::make_unique<PreTokenizer>(std::move(pre));
  const nlohmann::json& norm = json_get(j, "normalizer");
  if (!norm.is_null()) {
    const std::string type = norm.value("type", "");
    if (type != "NFC" && type != "NFKC" && type != "NFD" && type != "NFKD") {
      return absl::InvalidArgumentError(absl::StrCat(file, ": normalizer '", type, "' is not supported"));
    }
    t->normalizer_ = type;
  }
  t->id_to_token_ = t->bpe_->id_to_token();
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const nlohmann::json& a : json_get(j, "added_tokens")) {
      AddedToken at;
      at.content = a.value("content", "");
      const int64_t wide_id = a.value("id", int64_t{-1});
      at.id = wide_id >= 0 && wide_id < kMaxTokenId ? static_cast<int32_t>(wide_id) : -1;
      if (wide_id >= kMaxTokenId)
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": added_tokens: id ", wide_id, " is outside [0, ", kMaxTokenId, ")"));
      at.special = a.value("special", false);
      at.lstrip = a.value("lstrip", false);
      at.rstrip = a.value("rstrip", false);
      at.normalized = a.value("normalized", false);
      if (at.content.empty() || at.id < 0)
        return absl::InvalidArgumentError(file + ": added_tokens: entry without content or id");

      if (static_cast<size_t>(at.id) >= t->id_to_token_.size())
        t->id_to_token_.resize(static_cast<size_t>(at.id) + 1);
      t->id_to_token_[at.id] = at.content;
      t->added_by_id_[at.id] = t->added_.size();
      size_t node = 0;
      for (unsigned char c : at.content) {
        auto it = t->trie_[node].next.find(c);
        if (it == t->trie_[node].next.end()) {
          t->trie_.emplace_back();
          it = t->trie_[node].next.emplace(c, t->trie_.size() - 1).first;
        }
        node = it->second;
      }
      t->trie_[node].token = static_cast<int32_t>(t->added_.size());
      t->added_.push_back(at);
    }
  }
  // Post-processor: a TemplateProcessing "single" template (special tokens around $A), alone or in a
  // Sequence.
  std::vector<const nlohmann::json*> posts;
  if (const nlohmann::json& p = json_get(j, "post_processor"); p.is_object()) {
    if (p.value("type", "") == "Sequence") {
      for (const nlohmann::json& q : json_get(p, "processors")) posts.push_back(&q);
    } else {
      posts.push_back(&p);
    }
  }
  for (const nlohmann::json* p : posts) {
    if (p->value("type", "") != "TemplateProcessing") continue;
    bool after = false;
    for (const nlohmann::json& piece : json_get(*p, "single")) {
      if (piece.contains("Sequence")) {
        after = true;
      } else if (piece.contains("SpecialToken")) {
        const int32_t id = t->token_id(piece["SpecialToken"].value("id", ""));
        if (id < 0) return absl::InvalidArgumentError(file + ": post_processor: unknown special token");
        (after ? t->template_suffix_ : t->template_prefix_).push_back(id);
      }
    }
  }
  return t;
}

int32_t HfTokenizer::token_id(const std::string& token) const {
  for (const AddedToken& a : added_) {
    if (a.content == token) return a.id;
  }
  return bpe_->token_id(token);
}

std::vector<std::string> HfTokenizer::added_token_texts() const {
  std::vector<std::string> out;
  for (const AddedToken& a : added_) out.push_back(a.content);
  return out;
}

bool HfTokenizer::is_special(int32_t id) const {
  auto it = added_by_id_.find(id);
  return it != added_by_id_.end() && added_[it->second].special;
}

void HfTokenizer::encode_plain(const std::string& text, std::vector<int32_t>* out) {
  if (text.empty()) return;
  std::string normalized;
  const std::string* src = &text;
  if (!normalizer_.empty()) {
    // utf8proc_NFC and friends stop at the first NUL byte; utf8proc_map with the length keeps the whole text.
    const int form = normalizer_ == "NFC"    ? UTF8PROC_COMPOSE
                     : normalizer_ == "NFKC" ? UTF8PROC_COMPOSE | UTF8PROC_COMPAT
                     : normalizer_ == "NFD"  ? UTF8PROC_DECOMPOSE
                                             : UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
    utf8proc_uint8_t* n = nullptr;
    const utf8proc_ssize_t len = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                              static_cast<utf8proc_ssize_t>(text.size()), &n,
                                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | form));
    if (len >= 0 && n != nullptr) {
      normalized.assign(reinterpret_cast<char*>(n), static_cast<size_t>(len));
      src = &normalized;
    }
    std::free(n);
  }
  std::vector<std::string> words;
  pre_->split(*src, &words);
  for (const std::string& w : words) bpe_->encode_word(w, out);
}

absl::StatusOr<std::vector<int32_t>> HfTokenizer::encode(const std::string& text, bool add_special_tokens) {
  for (size_t i = 0; i < text.size();) {
    const int n = utf8_seq(text, i);
    if (n <= 0) return absl::InvalidArgumentError(absl::StrCat("text is not valid UTF-8 at byte ", i));
    i += static_cast<size_t>(n);
  }
  std::vector<int32_t> out;
  if (add_special_tokens) out = template_prefix_;
  // Added tokens: at each position the longest one that matches; the text between goes through BPE.
  size_t start = 0, i = 0;
  while (i < text.size()) {
    // Walk the trie of added tokens from i; the deepest token end is the longest match.
    const AddedToken* best = nullptr;
    for (size_t node = 0, j = i; j < text.size();) {
      auto it = trie_[node].next.find(static_cast<unsigned char>(text[j]));
      if (it == trie_[node].next.end()) break;
      node = it->second, ++j;
      if (trie_[node].token >= 0) best = &added_[static_cast<size_t>(trie_[node].token)];
    }
    if (!best) {
      ++i;
      continue;
    }
    size_t seg_end = i, after = i + best->content.size();
    // As tokenizers strips: every Unicode White_Space code point (Rust's char::is_whitespace).
    if (best->lstrip) seg_end = utf8_trim_back(text, start, seg_end, unicode_white_space);
    if (best->rstrip) after = utf8_trim_front(text, after, text.size(), unicode_white_space);
    encode_plain(text.substr(start, seg_end - start), &out);
    out.push_back(best->id);
    start = i = after;
  }
  encode_plain(text.substr(start), &out);
  if (add_special_tokens) out.insert(out.end(), template_suffix_.begin(), template_suffix_.end());
  return out;
}

std::string HfTokenizer::token_bytes(int32_t id) const {
  if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return added_[it->second].content;
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return "";
  return byte_level_decode(id_to_token_[id]);
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (skip_special_tokens && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  return utf8_lossy(bytes);
}

std::string StreamDecoder::push(int32_t id) {
  pending_ += tok_.token_bytes(id);
  const size_t n = utf8_complete_prefix(pending_);
  std::string out = utf8_lossy(pending_.substr(0, n));
  pending_.erase(0, n);
  return out;
}

std::string StreamDecoder::finish() {
  std::string out = utf8_lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace ascent
