#include "rewards/combine.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace ascent {

double reward_map_verdict(double v, VerdictMapping m) {
  return m == VerdictMapping::kPlusMinusOne ? 2 * v - 1 : v;
}

absl::StatusOr<double> reward_weighted_sum(const std::vector<WeightedComponent>& parts,
                                           const std::map<std::string, double>& values) {
  double sum = 0;
  for (const WeightedComponent& p : parts) {
    auto it = values.find(p.name);
    if (it == values.end())
      return absl::InvalidArgumentError(absl::StrCat("reward component '", p.name, "' has no value"));
    if (!std::isfinite(it->second)) {
      return absl::InvalidArgumentError(absl::StrCat("reward component '", p.name, "' is ", it->second));
    }
    sum += p.weight * it->second;
  }
  return sum;
}

}  // namespace ascent
