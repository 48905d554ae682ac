// A sigmoid fit with bootstrap intervals for A, B, C_mid and for the predicted R at target computes.
//  - One run: residual bootstrap. Each resample is the fitted curve plus residuals drawn with replacement
//    (scaled by sqrt(n / (n - p)) for the p fitted parameters); the measured start R0, itself one noisy
//    point, gets a drawn residual too. Each resample is refitted by least squares from the full fit.
//  - Several runs (seeds) of one recipe: their points are fitted together; each resample draws whole runs
//    with replacement and then residuals within each drawn run, so run-to-run variation enters the intervals.
// Intervals are percentile intervals at `level`. ScaleRL's +-0.02 run-to-run band on A is reported beside
// them.
// The intervals of A and of the predictions are the hull of that bootstrap interval and the profile-likelihood
// interval (curve_fit/profile.h): the bootstrap resamples around one fit and collapses when that fit sits on
// a bound (A = 1) or has no residuals to draw; the profile keeps every curve the data cannot tell apart. A
// prediction whose interval is wider than max_prediction_width is declined (FitReport::unpinned says why). Resamples run in parallel, one random stream per resample index: results do not depend on threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "curve_fit/fit.h"
#include "curve_fit/profile.h"

namespace ascent {

struct Interval {
  double value = 0, lo = 0, hi = 0;
};

// "value [lo, hi]", each number as printf's %.<precision><conv> (conv: 'f' or 'g'); the fit tables of
// `ascent fit` and of the HTML plot.
std::string interval_text(const Interval& v, char conv, int precision);

struct BootstrapOptions {
  int resamples = 1000;
  double level = 0.95;
  uint64_t seed = 1;
  std::vector<double> predict_at;  // computes to predict R at
  // A prediction whose interval is wider than this (in reward units) is declined: the data do not pin it.
  double max_prediction_width = 0.2;
  bool profile_a = true;  // false: A's interval is the bootstrap's only (a caller that wants the prediction)
};

struct FitReport {
  FitResult fit;
  Interval A, B, C_mid, R0;
  std::vector<double> predict_at;
  std::vector<Interval> predictions;  // one per predict_at: the curve's value there
  // One new validation at predict_at: the curve's interval widened by the noise of one measurement.
  std::vector<Interval> predictions_one;
  std::vector<std::string> unpinned;  // one per predict_at: "" where the prediction stands, else why not
  NoiseEstimate noise;                // of the fitted points (curve_fit/profile.h)
  // What a later profile interval at another compute needs (report_band_profile): the fitted points, the
  // bounds and the SSE margin critical x sigma^2.
  Points used;
  SigmoidBounds bounds;
  double allowed = 0;
  std::vector<SigmoidParams> draws;  // the resamples' fits (for bands at any C)
  double level = 0.95;
  double a_run_to_run = 0.02;  // ScaleRL: +-0.02 on A is run-to-run noise (3 seeds varied by +-0.015)
  int runs = 1;
};

absl::StatusOr<FitReport> fit_sigmoid_report(const std::vector<Points>& runs, const FitOptions& opt,
                                             const BootstrapOptions& bopt);

// Percentile interval of `values` at `level`, with `value` as its point estimate.
Interval interval_percentile(std::vector<double> values, double value, double level);
// The band of the resampled curves at compute C.
Interval report_band(const FitReport& rep, double C);
// The hull of that band and the profile-likelihood interval of R(C) (one constrained fit per q value: tens of
// milliseconds; the plot computes it at a few computes and interpolates).
Interval report_band_profile(const FitReport& rep, double C);

}  // namespace ascent
