// Shared between the fit_*.cc files; not part of the curve_fit interface.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "core/status.h"
#include "curve_fit/fit.h"

namespace ascent {

struct Prepared {
  Points used;               // C > 0 and C >= c_min
  double r0 = 0;             // the measured start
  std::vector<double> logc;  // log of used.C
};

// SSE of R0 + (A - R0) / (1 + exp(B (L - log C_i))) against R_i, on precomputed log C (L = log C_mid): the
// inner loop of the grid (fit_grid.cc) and of the profile intervals (profile.cc).
double sigmoid_sse_log(const std::vector<double>& logc, const std::vector<double>& R, double A, double B,
                       double L, double R0);

// Checks the points (enough of them for the free parameters, finite, not flat) and selects those fitted.
absl::StatusOr<Prepared> fit_prepare(const Points& pts, const FitOptions& opt);
// The `keep` grid cells with the smallest SSE (B fitted in each), best first.
std::vector<FitResult> grid_cells_best(const Prepared& pr, const FitOptions& opt, size_t keep);
// Appends the warnings about the data and the fit (decreasing curve, parameters at their bounds, C_mid far
// beyond the data).
void fit_warnings(const Prepared& pr, const FitOptions& opt, FitResult* r);

}  // namespace ascent
