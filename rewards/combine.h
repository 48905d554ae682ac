// Reward combinators: what a recipe's `rewards:` section builds a completion's final reward from.
//  - a weighted sum of named components (verifier, rm, plugins: weight 1 each unless the recipe says);
//  - a mapping of a 0/1 verdict to {-1, +1} (`pm1`) or leaving it 0/1 (`01`);
// Soft overlong shaping (DAPO, docs/algorithms.md section 4) needs token counts: the learner adds it
// (learner/filters.h), not these combinators.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

enum class VerdictMapping { kZeroOne, kPlusMinusOne };

// 0/1 -> 0/1 or -1/+1. Values strictly between are mapped linearly (2v - 1 for pm1).
double reward_map_verdict(double v, VerdictMapping m);

struct WeightedComponent {
  std::string name;
  double weight = 1.0;
};

// sum_c weight_c * values[name_c]. A component without a value is an error naming it (the caller records it
// as the completion's reward error; the batch goes on).
absl::StatusOr<double> reward_weighted_sum(const std::vector<WeightedComponent>& parts,
                                           const std::map<std::string, double>& values);

}  // namespace ascent
