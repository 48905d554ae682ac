// (compute, reward) points of one run, and the checks every fit makes on them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ascent {

struct Points {
  std::vector<double> C, R;
  // Bernoulli samples behind each R (a mean@k over n prompts: n k), for the binomial noise of the intervals
  // (curve_fit/profile.h). Empty, or as long as R; 0 where unknown.
  std::vector<double> N;
};

// Checks the points: equal lengths, every value finite, no negative compute, and at least `min_points` with
// C > 0 and C >= c_min. Errors name the offending point (1-based) and its values.
absl::Status points_check(const Points& pts, double c_min, int min_points);

// The fitted points: C > 0 and C >= c_min, in the order given.
Points points_used(const Points& pts, double c_min);
// The measured start: the mean R at the smallest C (several runs pooled: the mean of their starts), whether
// or not it passes c_min. R0 is held at it unless fitted.
double points_start(const Points& pts);
// Concatenation of several runs' points.
Points points_pool(const std::vector<Points>& runs);

}  // namespace ascent
