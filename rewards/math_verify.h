// The math verifier: is a completion's final answer equivalent to the gold answer? (docs/algorithms.md
// section 7). Extract (math_extract) -> normalise (latex_normalize) -> parse (latex_parse) -> compare
// (math_equiv), with an exact string match first. Every call has a time limit and returns its verdict with a
// reason string. Each call has its own symbol table. GiNaC keeps reference-counted global objects, so a call
// holds the process's GiNaC lock (core/ginac_lock.h; parallelism comes from worker processes).
#pragma once

#include <string>

namespace ascent {

struct VerifyOptions {
  double timeout_s = 2.0;
  bool extract_gold = false;  // gold is a full solution (extract its \boxed{} answer too)
};

struct VerifyResult {
  bool correct = false;
  std::string reason;     // "equivalent", "exact match", "no answer found", "parse error in answer: ...", ...
  std::string extracted;  // the answer taken from the completion
  std::string rule;       // which extraction rule found it
};

VerifyResult math_verify(const std::string& completion, const std::string& gold,
                         const VerifyOptions& opt = {});
// Compares two bare answers (no extraction): the corpus tests and the reference comparison use this.
VerifyResult math_verify_answers(const std::string& gold, const std::string& answer,
                                 const VerifyOptions& opt = {});

}  // namespace ascent
