#include "curve_fit/live_fit.h"

#include <algorithm>
#include <cmath>

#include "core/status.h"

namespace ascent {

LiveFit::LiveFit(FitOptions opt, int resamples, bool c_min_auto)
    : opt_(opt), c_min_auto_(c_min_auto), resamples_(resamples) {}

bool LiveFit::add(double compute, double reward, double samples) {
  if (!std::isfinite(compute) || !std::isfinite(reward) || compute < 0) return false;
  pts_.C.push_back(compute);
  pts_.R.push_back(reward);
  pts_.N.push_back(std::isfinite(samples) && samples > 0 ? samples : 0);
  return true;
}

absl::StatusOr<FitReport> LiveFit::refit(double predict_c) {
  return refit_with(predict_c, resamples_, true);
}

absl::StatusOr<Interval> LiveFit::expected_at(double compute) {
  if (!(compute > 0)) return absl::InvalidArgumentError("the compute to expect a validation at must be > 0");
  // The prediction's profile interval carries the check; a small bootstrap and no profile of A keep it cheap.
  ASCENT_ASSIGN_OR_RETURN(FitReport rep, refit_with(compute, 20, /*profile_a=*/false));
  if (rep.predictions.empty()) return absl::InternalError("no prediction");
  if (!rep.unpinned[0].empty()) return absl::FailedPreconditionError(rep.unpinned[0]);
  return rep.predictions_one[0];
}

absl::StatusOr<FitReport> LiveFit::refit_with(double predict_c, int resamples, bool profile_a) {
  if (pts_.C.empty()) return absl::FailedPreconditionError("no validation points yet");
  BootstrapOptions bopt;
  bopt.resamples = resamples, bopt.profile_a = profile_a;
  bopt.seed = pts_.C.size();  // a new stream per refit, the same for the same history
  if (predict_c > 0) bopt.predict_at.push_back(predict_c);
  FitOptions opt = opt_;
  if (c_min_auto_) opt.c_min = kCMinFraction * *std::max_element(pts_.C.begin(), pts_.C.end());
  Points pts = pts_;
  if (std::any_of(pts.N.begin(), pts.N.end(), [](double n) { return n == 0; })) pts.N.clear();
  return fit_sigmoid_report({pts}, opt, bopt);
}

}  // namespace ascent
