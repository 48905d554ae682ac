// Fitting the sigmoid law (docs/algorithms.md section 10) to (compute, reward) points.
//  - fit_sigmoid_grid: ScaleRL's procedure. A grid over A and over C_mid; at each grid point B is fitted by
//    least squares (golden section on log B); the smallest sum of squared residuals (SSE) is kept. R0 held.
//  - fit_sigmoid: bounded nonlinear least squares over (A, B, C_mid) [and R0 when fit_r0] with Eigen's
//    Levenberg-Marquardt (MINPACK lmder), started from the grid's best point. Bounds are kept by a smooth
//    reparametrisation (each parameter a logistic function of a free variable between its bounds). LM runs
//    from the best few grid cells (the default grid is coarse: it only seeds LM) and the lowest SSE is kept.
//    LM only accepts steps that lower the SSE, so the result is never worse than the grid it started from.
// Points with C < c_min are left out (C = 0, the measured start, is never fitted: it fixes R0).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "curve_fit/laws.h"
#include "curve_fit/points.h"

namespace ascent {

struct GridSpec {
  // A in {a_lo, a_lo + a_step, ..., a_hi}; C_mid in cmid_steps values over [cmid_lo, cmid_hi], log- or
  // linearly spaced. Negative bounds: from the data (A over [0, 1]; C_mid over [min C / 10, max C * 100]).
  double a_lo = -1, a_hi = -1, a_step = 0.05;
  double cmid_lo = -1, cmid_hi = -1;
  int cmid_steps = 25;
  bool cmid_log = true;
};

// ScaleRL's published grid: A in {0.450, 0.455, ..., 0.800}, C_mid in 100 linear steps over [100, 40000].
GridSpec grid_spec_scalerl();

struct SigmoidBounds {
  double a_lo = 0, a_hi = 1;      // pass rates
  double b_lo = 0.05, b_hi = 20;  // B outside this is a step or a line over any realistic range
  double cmid_span = 1e4;         // C_mid within [min C / span, max C * span]
  double r0_lo = -1, r0_hi = 1;   // when R0 is fitted
};

// ScaleRL's practice (Khatri et al. 2025, "The Art of Scaling Reinforcement Learning Compute for LLMs",
// section 2): fit only past a minimum compute, leaving out the early noisy regime; their runs extrapolated
// from 8k GPU-hours with the first 1.5k left out. Our rule (`ascent fit --c-min auto`, and the live fit's
// run.validation.fit_c_min: auto): c_min = kCMinFraction x the largest compute fitted.
inline constexpr double kCMinFraction = 0.2;

struct FitOptions {
  double c_min = 0;
  bool fit_r0 = false;
  GridSpec grid;
  SigmoidBounds bounds;
};

struct FitResult {
  SigmoidParams p;
  double sse = 0;
  int n_points = 0;                   // points fitted (C > 0 and C >= c_min)
  std::vector<std::string> warnings;  // what was odd about the data and what was done
};

absl::StatusOr<FitResult> fit_sigmoid_grid(const Points& pts, const FitOptions& opt);
absl::StatusOr<FitResult> fit_sigmoid(const Points& pts, const FitOptions& opt);

// Least squares from `start` over already-selected points (no grid, no checks): bootstrap resamples, live
// refits and the shared-A refit of the comparison rule (fix_a: A held at start.A). R0 is held unless fit_r0.
SigmoidParams fit_sigmoid_local(const std::vector<double>& C, const std::vector<double>& R,
                                const SigmoidParams& start, const SigmoidBounds& bounds, bool fit_r0,
                                bool fix_a = false);

struct PowerFit {
  PowerParams p;
  double sse = 0;
};
// R = A - D / C^B by bounded least squares (A in [0, 1], D > 0, B in [1e-3, 10]); same point selection.
absl::StatusOr<PowerFit> fit_power(const Points& pts, double c_min);

}  // namespace ascent
