#include "rewards/math_verify.h"

#include <cctype>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/ginac_lock.h"
#include "rewards/latex_normalize.h"
#include "rewards/latex_parse.h"
#include "rewards/math_equiv.h"
#include "rewards/math_extract.h"

namespace ascent {

namespace {
// Words (a name, a day, "yes"): letters and spaces only, with a word of three or more letters that is not a
// function name. They compare as text, not as products of one-letter symbols.
bool is_word_answer(const std::string& s) {
  bool long_word = false;
  size_t run = 0, start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : ' ';
    if (std::isalpha(static_cast<unsigned char>(c))) {
      if (run++ == 0) start = i;
      continue;
    }
    if (c != ' ') return false;
    if (run >= 3) {
      const std::string w = s.substr(start, run);
      if (w != "sqrt" && w != "sin" && w != "cos" && w != "tan" && w != "log" && w != "exp" && w != "pi")
        long_word = true;
    }
    run = 0;
  }
  return long_word;
}
}  // namespace

VerifyResult math_verify_answers(const std::string& gold_raw, const std::string& answer_raw,
                                 const VerifyOptions& opt) {
  absl::MutexLock lock(&ginac_mutex());  // GiNaC's global objects: one thread at a time (core/ginac_lock.h)
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(opt.timeout_s * 1e6));
  VerifyResult r;
  r.extracted = answer_raw;
  std::string gold = gold_raw, inner;
  if (math_last_boxed(gold, &inner)) gold = inner;
  std::string answer = answer_raw;
  if (math_last_boxed(answer, &inner)) answer = inner;
  const std::string g = latex_normalize(gold), a = latex_normalize(answer);
  if (a.empty()) {
    r.reason = "empty answer";
    return r;
  }
  if (g == a) {
    r.correct = true;
    r.reason = "exact match";
    return r;
  }
  SymbolTable symbols;
  absl::StatusOr<MathValue> gv =
      is_word_answer(g) ? absl::InvalidArgumentError("words") : latex_parse(g, &symbols);
  absl::StatusOr<MathValue> av =
      is_word_answer(a) ? absl::InvalidArgumentError("words") : latex_parse(a, &symbols);
  // Text answers (names, words, multiple-choice letters in words) compare as text.
  std::string gold_error;
  if (!gv.ok()) {
    gold_error = std::string(gv.status().message());
    MathValue t;
    t.kind = MathValue::Kind::kText, t.text = g;
    gv = t;
  }
  if (!av.ok()) {
    if (gv->kind != MathValue::Kind::kText) {
      r.reason = absl::StrCat("parse error in answer: ", av.status().message());
      return r;
    }
    MathValue t;
    t.kind = MathValue::Kind::kText, t.text = a;
    av = t;
  }
  EquivResult e = math_equivalent(*gv, *av, deadline);
  r.correct = e.equal;
  r.reason = e.reason;
  if (!e.equal && !gold_error.empty() && gold_error != "words")
    absl::StrAppend(&r.reason, "; gold read as text: ", gold_error);
  return r;
}

VerifyResult math_verify(const std::string& completion, const std::string& gold, const VerifyOptions& opt) {
  ExtractedAnswer ex = math_extract_answer(completion);
  if (ex.rule.empty()) {
    VerifyResult r;
    r.reason = "no answer found";
    return r;
  }
  std::string g = gold;
  if (opt.extract_gold) {
    ExtractedAnswer ge = math_extract_answer(gold);
    if (!ge.rule.empty()) g = ge.text;
  }
  VerifyResult r = math_verify_answers(g, ex.text, opt);
  r.extracted = ex.text;
  r.rule = ex.rule;
  return r;
}

}  // namespace ascent
