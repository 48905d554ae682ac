// The live refit the learner runs after each validation: it keeps the run's (compute, pass rate) points and
// refits the sigmoid with a small bootstrap, so the run's predicted end and its interval can be logged as
// metrics while it trains (fit/A, fit/A_lo, fit/A_hi, fit/pred, ... in docs/metrics.md).
#pragma once

#include "curve_fit/bootstrap.h"

namespace ascent {

class LiveFit {
 public:
  // predict_c: the compute the run is budgeted for (its predicted end); resamples kept small (200) so a refit
  // costs milliseconds.
  LiveFit(FitOptions opt, double predict_c, int resamples = 200);

  // Adds a validation point. A non-finite point is not added (returns false).
  bool add(double compute, double reward);
  // Refits on all points so far. Until there are enough points past c_min, the error says how many.
  absl::StatusOr<FitReport> refit();
  const Points& points() const { return pts_; }

 private:
  FitOptions opt_;
  BootstrapOptions bopt_;
  Points pts_;
};

}  // namespace ascent
