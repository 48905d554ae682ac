// Profile-likelihood intervals for the sigmoid law R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B), R0 held
// (Bates & Watts, Nonlinear Regression Analysis, 1988, section 6.1; Venzon & Moolgavkar 1988). The interval
// of a quantity q (the asymptote A, or the curve's value R(C*) at a compute C*) holds every q0 whose best
// fit with q = q0 imposed (B and C_mid free, A within its bounds) has
//     SSE(q0) <= SSE_min + critical * sigma^2,
// sigma^2 the variance of one validation about the curve (noise_estimate). Unlike a bootstrap around one
// fit, it does not collapse when the best fit sits on a bound (A = 1) or when as many points as parameters
// leave no residuals: every curve the data cannot tell apart from the best one is inside.
// The minimum over (B, C_mid) is a grid over log C_mid (100 nodes within the bounds' span of the data) with
// golden-section search on log B at each node, refined by golden section on log C_mid around the best node.
// R0 is held (at the measured start, or at the fitted R0 with --fit-r0, which then makes the intervals a
// little narrow: R0's own uncertainty is not profiled) and must lie within A's bounds.
#pragma once

#include <string>

#include "curve_fit/fit.h"

namespace ascent {

struct NoiseEstimate {
  double sigma2 = 0;      // variance of one validation about the curve; +inf when nothing can say
  int dof = 0;            // residual degrees of freedom, n - p
  bool binomial = false;  // sigma2 is the binomial variance from the sample counts (Points::N), known
  double critical = 0;    // the level's quantile: chi2(1) when binomial, else F(1, dof)
  std::string source;     // in words, for the JSON and the docs
};

// The noise of the fitted points: the residual variance sse / (n - p) (floored at 1e-6) with F(1, n - p)'s
// quantile, or the binomial variance of a pass rate over N Bernoulli samples, mean_i R_i (1 - R_i) / N_i,
// with chi2(1)'s, when every point has its N: whichever gives the wider margin critical x sigma^2 (with no
// residual degrees of freedom, the binomial one). The variance of a mean@k over n prompts is at most
// p (1 - p) / (n k), so the binomial one is conservative. Neither: sigma^2 = +inf.
NoiseEstimate noise_estimate(const Points& used, double sse, int nparam, double level);

struct ProfileInterval {
  double lo = 0, hi = 0;
  bool lo_at_bound = false, hi_at_bound = false;  // the interval reaches A's bound: not pinned on that side
};

// `allowed`: critical * sigma^2, the SSE above the minimum that the interval admits. `sse_min`: the best
// fit's SSE (the profile's own minimum is used when lower). `value`: the best fit's q, always inside.
ProfileInterval profile_interval_a(const Points& used, double r0, const SigmoidBounds& b, double value,
                                   double sse_min, double allowed);
ProfileInterval profile_interval_r(const Points& used, double r0, const SigmoidBounds& b, double c_star,
                                   double value, double sse_min, double allowed);

}  // namespace ascent
