#define PCRE2_CODE_UNIT_WIDTH 8
#include "model/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"
#include "model/tokenizer/byte_level.h"

namespace ascent {

namespace {
// GPT-2's split, used by ByteLevel with use_regex = true.
constexpr const char* kGpt2Split =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
}  // namespace

absl::StatusOr<std::unique_ptr<Regex>> Regex::compile(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return absl::InvalidArgumentError(
        absl::StrCat("regex error at offset ", offset, ": ", reinterpret_cast<char*>(msg)));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  std::unique_ptr<Regex> r(new Regex);
  r->code_ = code;
  r->match_data_ = pcre2_match_data_create_from_pattern(code, nullptr);
  return r;
}

Regex::~Regex() {
  if (match_data_) pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_));
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

void Regex::split_isolated(const std::string& text, std::vector<std::string>* out) const {
  auto* code = static_cast<pcre2_code*>(code_);
  auto* md = static_cast<pcre2_match_data*>(match_data_);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0, gap = 0;
  while (at < text.size()) {
    const int rc = pcre2_match(code, subject, text.size(), at, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t b = ov[0], e = ov[1];
    if (e == b) {  // an empty match: step one character
      at = b + 1;
      while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
      continue;
    }
    if (b > gap) out->emplace_back(text, gap, b - gap);
    out->emplace_back(text, b, e - b);
    at = gap = e;
  }
  if (gap < text.size()) out->emplace_back(text, gap, text.size() - gap);
}

absl::StatusOr<PreTokenizer> PreTokenizer::from_json(const nlohmann::json& j, const std::string& source) {
  PreTokenizer p;
  std::vector<const nlohmann::json*> steps;
  if (j.is_null())
    return absl::InvalidArgumentError(absl::StrCat(source, ": pre_tokenizer: null is not supported"));
  if (j.value("type", "") == "Sequence") {
    for (const nlohmann::json& s : json_get(j, "pretokenizers")) steps.push_back(&s);
  } else {
    steps.push_back(&j);
  }
  for (const nlohmann::json* s : steps) {
    const std::string type = s->value("type", "");
    if (type == "Split") {
      if (s->value("behavior", "") != "Isolated" || s->value("invert", false)) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pre_tokenizer Split: only behavior Isolated is supported"));
      }
      const nlohmann::json& pat = json_get(*s, "pattern");
      if (!json_get(pat, "Regex").is_string())
        return absl::InvalidArgumentError(absl::StrCat(source, ": pre_tokenizer Split: only Regex patterns"));
      absl::StatusOr<std::unique_ptr<Regex>> re = Regex::compile(pat["Regex"].get<std::string>());
      if (!re.ok())
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pre_tokenizer Split: ", re.status().message()));
      p.splits_.push_back(std::move(*re));
    } else if (type == "ByteLevel") {
      if (s->value("add_prefix_space", false)) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pre_tokenizer ByteLevel: add_prefix_space is not supported"));
      }
      if (s->value("use_regex", true)) p.splits_.push_back(std::move(*Regex::compile(kGpt2Split)));
      p.byte_level_ = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": pre_tokenizer type '", type, "' is not supported"));
    }
  }
  if (!p.byte_level_)
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": pre_tokenizer: only byte-level BPE is supported"));
  return p;
}

void PreTokenizer::split(const std::string& text, std::vector<std::string>* words) const {
  std::vector<std::string> pieces{text}, next;
  for (const auto& re : splits_) {
    next.clear();
    for (const std::string& piece : pieces) re->split_isolated(piece, &next);
    pieces.swap(next);
  }
  for (const std::string& piece : pieces) words->push_back(byte_level_encode(piece));
}

}  // namespace ascent
