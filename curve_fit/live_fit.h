// The live refit the learner runs after each validation: it keeps the run's (compute, pass rate) points and
// refits the sigmoid with a small bootstrap and the profile-likelihood intervals, so the run's predicted end
// and its interval can be logged as metrics while it trains (fit/A, fit/pred, fit/pinned, ... in
// docs/metrics.md).
#pragma once

#include "curve_fit/bootstrap.h"

namespace ascent {

class LiveFit {
 public:
  // resamples kept small (200); a refit with its profile intervals costs 0.1-0.5 s (docs/curve_fit.md). c_min_auto: c_min = kCMinFraction x the largest
  // compute so far at each refit (ScaleRL's rule), else opt.c_min as given.
  explicit LiveFit(FitOptions opt, int resamples = 200, bool c_min_auto = false);

  // Adds a validation point; samples: the Bernoulli samples behind it (prompts x k), 0 if unknown. A
  // non-finite point is not added (returns false).
  bool add(double compute, double reward, double samples = 0);
  // Refits on all points so far and predicts R at predict_c (the compute the run is budgeted for; none if
  // <= 0). Until there are enough points past c_min, the error says how many.
  absl::StatusOr<FitReport> refit(double predict_c);
  // refit() with the bootstrap's resamples given, and A's profile interval or not.
  absl::StatusOr<FitReport> refit_with(double predict_c, int resamples, bool profile_a);
  // The interval one validation at `compute` should read, from the points so far (a fit predicting there,
  // widened by the noise of one validation): a validation outside it has left the run's curve (a collapse, or
  // a jump). An error while there is no fit, or when that prediction is not pinned.
  absl::StatusOr<Interval> expected_at(double compute);
  const Points& points() const { return pts_; }

 private:
  FitOptions opt_;
  bool c_min_auto_;
  int resamples_;
  Points pts_;
};

}  // namespace ascent
