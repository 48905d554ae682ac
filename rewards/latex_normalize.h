// String-level normalisation of a LaTeX / plain-text answer before parsing (docs/algorithms.md section 7):
// strips \left \right \! \, spacing, \displaystyle, dollar signs, degree marks, trailing periods,
// "\text{...}" units after a number, thousands separators (1,000 and 1{,}000), and rewrites \dfrac / \tfrac
// to \frac and the brace-less \frac12 / \sqrt2 to \frac{1}{2} / \sqrt{2}; "\text{ or }" / "\text{ and }"
// become commas.
#pragma once

#include <string>

namespace ascent {

std::string latex_normalize(const std::string& s);

}  // namespace ascent
