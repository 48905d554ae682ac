// Equivalence of two parsed answers (docs/algorithms.md section 7).
//  - Expressions: exact difference simplifying to 0 (GiNaC normal); else, without free symbols, numbers
//    equal up to rounding noise or after rounding both to 6 decimals (not a relative 1e-6); with free
//    symbols, equal values at 3 random points (relative 1e-9). A percentage p% equals p/100 and also p
//    (answers often drop the sign).
//  - "x = 3" equals 3 when its left side is a lone symbol; two equations are equal when their sides match or
//    lhs - rhs of one is a constant multiple of the other's.
//  - Tuples/intervals: same brackets, elementwise. Sets and bare lists: unordered (a bare list also equals a
//    parenthesised tuple in order). Matrices: same shape, elementwise. Unions: unordered. Relations: same
//    operator (or mirrored) and sides.
//  - Text (not math): case-insensitive comparison without spaces.
// The deadline is checked between element comparisons; a comparison past it returns false with the reason.
#pragma once

#include <chrono>
#include <string>

#include "rewards/latex_value.h"

namespace ascent {

struct EquivResult {
  bool equal = false;
  std::string reason;
};

EquivResult math_equivalent(const MathValue& gold, const MathValue& pred,
                            std::chrono::steady_clock::time_point deadline);

}  // namespace ascent
