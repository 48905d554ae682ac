// Comparing two recipes by their fits, ScaleRL's rule: the higher asymptote A wins; if the two A differ by
// less than `a_tie` [0.02, the run-to-run noise on A], both are refitted with A held at their mean and the
// higher efficiency B wins.
#pragma once

#include <string>

#include "curve_fit/fit.h"

namespace ascent {

struct CompareResult {
  std::string winner;   // label of the better run
  std::string verdict;  // one line with the numbers
  bool tie_on_a = false;
  double shared_a = 0;
  double b_first = 0, b_second = 0;  // B of the shared-A refits (when tie_on_a)
};

// used1/used2: the points each fit was made on (points_used), for the shared-A refits.
CompareResult compare_fits(const std::string& label1, const FitResult& f1, const Points& used1,
                           const std::string& label2, const FitResult& f2, const Points& used2,
                           const FitOptions& opt, double a_tie = 0.02);

}  // namespace ascent
