// Parsing a normalised answer (latex_normalize) into a MathValue: expressions become GiNaC expressions with
// exact rationals for decimals; structures: (a, b) tuples and (a, b] / [a, b] intervals (kBracketed),
// \{a, b\} sets, bare lists "a, b", \begin{pmatrix} matrices, "lhs = rhs" equations, <, \leq ... relations,
// "A \cup B" unions. Grammar: recursive descent with implicit multiplication (2x, 2\sqrt{2}, (a)(b)), powers
// and subscripts, \frac \sqrt[n] \pi \infty e, trig/log functions, |x|, n!, percentages.
// Guards (so that parsing and GiNaC never blow up): input length, nesting depth, integer exponents of
// numbers above 10^4 in magnitude and factorials above 1000 are errors with a reason.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "rewards/latex_value.h"

namespace ascent {

absl::StatusOr<MathValue> latex_parse(const std::string& normalized, SymbolTable* symbols);

}  // namespace ascent
