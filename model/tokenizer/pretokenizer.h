// tokenizers' pre-tokenizers used by Qwen2/2.5/3 and Llama-3: Sequence[Split(regex, Isolated),
// ByteLevel(use_regex=false)]; also ByteLevel with use_regex=true (the GPT-2 split). The split regexes use
// lookaheads and Unicode classes, so they run on PCRE2 (UTF + UCP, JIT-compiled).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

class Regex {
 public:
  static absl::StatusOr<std::unique_ptr<Regex>> compile(const std::string& pattern);
  ~Regex();
  // Splits `text` (valid UTF-8) into the matches and the gaps between them, in order ("Isolated").
  void split_isolated(const std::string& text, std::vector<std::string>* out) const;

 private:
  Regex() = default;
  void* code_ = nullptr;
  void* match_data_ = nullptr;
};

class PreTokenizer {
 public:
  static absl::StatusOr<PreTokenizer> from_json(const nlohmann::json& j, const std::string& source);
  // Pieces of one run of text, each in byte-level form (ready for BPE).
  void split(const std::string& text, std::vector<std::string>* words) const;

 private:
  std::vector<std::shared_ptr<Regex>> splits_;  // applied in order, each to the pieces of the previous
  bool byte_level_ = false;
};

}  // namespace ascent
