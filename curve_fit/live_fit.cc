#include "curve_fit/live_fit.h"

#include <cmath>

namespace ascent {

LiveFit::LiveFit(FitOptions opt, double predict_c, int resamples) : opt_(opt) {
  bopt_.resamples = resamples;
  bopt_.predict_at = {predict_c};
}

bool LiveFit::add(double compute, double reward) {
  if (!std::isfinite(compute) || !std::isfinite(reward) || compute < 0) return false;
  pts_.C.push_back(compute);
  pts_.R.push_back(reward);
  return true;
}

absl::StatusOr<FitReport> LiveFit::refit() {
  bopt_.seed = pts_.C.size();  // a new stream per refit, the same for the same history
  return fit_sigmoid_report({pts_}, opt_, bopt_);
}

}  // namespace ascent
