// The math verifier (ALGORITHMS.md section 7) on the hand-labelled corpus (tests/fixtures/verifier/, 326
// MATH/AIME/AMC-style pairs written and labelled by hand in corpus_source.py), answer extraction, time limits
// and malformed input.
#include <gtest/gtest.h>

#include <fstream>

#include "core/rng.h"
#include "nlohmann/json.hpp"
#include "rewards/math_extract.h"
#include "rewards/math_verify.h"

namespace {

TEST(MathVerify, CorpusHasNoFalsePositiveAndFullRecall) {
  std::ifstream f(ASCENT_SOURCE_DIR "/tests/fixtures/verifier/corpus.jsonl");
  ASSERT_TRUE(f) << "corpus missing";
  std::string line;
  int tp = 0, fp = 0, fn = 0, tn = 0;
  while (std::getline(f, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const VerifyResult r = math_verify_answers(j["gold"], j["answer"]);
    const bool want = j["equal"];
    EXPECT_EQ(r.correct, want) << j["tag"].get<std::string>() << ": " << j["gold"] << " vs " << j["answer"]
                               << ": " << r.reason;
    EXPECT_FALSE(r.reason.empty());
    (r.correct ? (want ? tp : fp) : (want ? fn : tn)) += 1;
  }
  EXPECT_GE(tp + fp + fn + tn, 300);
  EXPECT_EQ(fp, 0) << "a wrong answer rewarded";
  std::printf("corpus: %d pairs, precision %.4f, recall %.4f (tp %d fp %d fn %d tn %d)\n", tp + fp + fn + tn,
              tp + fp ? static_cast<double>(tp) / (tp + fp) : 1.0, static_cast<double>(tp) / (tp + fn), tp,
              fp, fn, tn);
}

TEST(MathVerify, ExtractsTheFinalAnswer) {
  EXPECT_EQ(
      math_extract_answer("so x = 2. Then \\boxed{\\frac{1}{2}} and finally \\boxed{\\frac{3}{4}}.").text,
      "\\frac{3}{4}");
  EXPECT_EQ(math_extract_answer("\\boxed{\\{1, 2\\}}").text, "\\{1, 2\\}");  // escaped braces do not nest
  EXPECT_EQ(math_extract_answer("nested \\boxed{\\frac{a}{b^{2}}} end").text, "\\frac{a}{b^{2}}");
  ExtractedAnswer a = math_extract_answer("We get 12 apples.\nAnswer: $\\frac{7}{2}$.");
  EXPECT_EQ(a.text, "\\frac{7}{2}");
  EXPECT_EQ(a.rule, "answer_line");
  a = math_extract_answer("First $x=1$, then the area is $$36\\pi$$ in total");
  EXPECT_EQ(a.text, "36\\pi");
  EXPECT_EQ(a.rule, "math_span");
  a = math_extract_answer("It costs \\$5 and then 1,250 more, so 1,255");
  EXPECT_EQ(a.text, "1,255");
  EXPECT_EQ(a.rule, "last_number");
  EXPECT_TRUE(math_extract_answer("no idea").rule.empty());
  // An unbalanced last \boxed falls back to the previous balanced one.
  EXPECT_EQ(math_extract_answer("\\boxed{5} oops \\boxed{6").text, "5");
}

TEST(MathVerify, CompletionVerdictsCarryReasons) {
  VerifyResult r = math_verify("... so the answer is \\boxed{2\\sqrt{2}}.", "\\sqrt{8}");
  EXPECT_TRUE(r.correct) << r.reason;
  EXPECT_EQ(r.extracted, "2\\sqrt{2}");
  EXPECT_EQ(r.rule, "boxed");
  r = math_verify("I think it is 7", "8");
  EXPECT_FALSE(r.correct);
  EXPECT_NE(r.reason.find("not equivalent"), std::string::npos) << r.reason;
  r = math_verify("I cannot solve this.", "8");
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, "no answer found");
  r = math_verify("\\boxed{\\frac{1}{}}", "8");
  EXPECT_FALSE(r.correct);
  EXPECT_NE(r.reason.find("parse error"), std::string::npos) << r.reason;
  // A full gold solution, with extract_gold.
  VerifyOptions o;
  o.extract_gold = true;
  EXPECT_TRUE(math_verify("\\boxed{0.75}", "Adding, we get $\\boxed{\\frac34}$.", o).correct);
}

TEST(MathVerify, EveryCheckHasATimeLimit) {
  VerifyOptions o;
  o.timeout_s = 0;  // already past: the comparison must stop at its first check
  const VerifyResult r = math_verify_answers("x^2+2x+1", "(x+1)^2", o);
  EXPECT_FALSE(r.correct);
  EXPECT_NE(r.reason.find("time limit"), std::string::npos) << r.reason;
  // Inputs that would make a CAS run away are refused with a reason, quickly.
  for (const char* big : {"2^{100000000}", "10^{10^{10}}", "1000!", "9999999!"}) {
    const VerifyResult b = math_verify_answers("5", big);
    EXPECT_FALSE(b.correct) << big;
    EXPECT_FALSE(b.reason.empty()) << big;
  }
}

// Malformed LaTeX never crashes: every prefix of every corpus answer, and random strings of LaTeX tokens.
TEST(MathVerify, MalformedInputNeverCrashes) {
  std::ifstream f(ASCENT_SOURCE_DIR "/tests/fixtures/verifier/corpus.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const std::string a = j["answer"];
    for (size_t k = 0; k < a.size(); k += 2) {
      math_verify_answers(j["gold"], a.substr(0, k));
      ++n;
    }
  }
  const char* const toks[] = {"\\frac",
                              "{",
                              "}",
                              "(",
                              ")",
                              "[",
                              "]",
                              "\\{",
                              "\\}",
                              "^",
                              "_",
                              "\\sqrt",
                              "2",
                              "x",
                              ",",
                              "=",
                              "\\pi",
                              "\\left(",
                              "\\right)",
                              "|",
                              "!",
                              "\\%",
                              "\\begin{pmatrix}",
                              "&",
                              "\\\\",
                              "\\end{pmatrix}",
                              "\\cup",
                              "-",
                              ".",
                              "e",
                              "\\infty",
                              "\\text{",
                              "$"};
  Rng rng(5);
  for (int t = 0; t < 2000; ++t) {
    std::string s;
    const int len = 1 + static_cast<int>(rng.next_u64() % 12);
    for (int k = 0; k < len; ++k) s += toks[rng.next_u64() % std::size(toks)];
    const VerifyResult r = math_verify_answers("x+1", s);
    EXPECT_FALSE(r.reason.empty());
    ++n;
  }
  EXPECT_GT(n, 3000);
}

}  // namespace
