// Honest intervals of the sigmoid fit (curve_fit/profile.h, curve_fit/stats.h): the quantiles against
// published tables, the binomial noise by hand, and the profile-likelihood intervals on synthetic runs whose
// validations are binomial draws (a mean over N Bernoulli samples, as the learner's validation): coverage of
// the truth over many seeds, and a run seen only before its midpoint, where the data cannot pin A, whose
// prediction must be declined rather than narrow.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/rng.h"
#include "curve_fit/bootstrap.h"
#include "curve_fit/profile.h"
#include "curve_fit/stats.h"

namespace ascent {

namespace {

// Quantiles of Student's t and of the standard normal from any statistics table (e.g. NIST/SEMATECH
// e-Handbook of Statistical Methods, tables 1.3.6.7.1 and 1.3.6.7.2).
TEST(FitStats, QuantilesMatchPublishedTables) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_quantile(0.995), 2.575829, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.303, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.042, 1e-3);
  EXPECT_NEAR(student_t_quantile(0.95, 5), 2.015, 1e-3);
  EXPECT_NEAR(student_t_cdf(0, 7), 0.5, 1e-12);
  EXPECT_NEAR(student_t_cdf(-2.228, 10) + student_t_cdf(2.228, 10), 1.0, 1e-12);
  // chi2(1) at 0.95 is 3.841; F(1, 10) at 0.95 is 4.965.
  EXPECT_NEAR(profile_critical_value(0.95, 0), 3.841, 1e-3);
  EXPECT_NEAR(profile_critical_value(0.95, 10), 4.965, 1e-3);
}

TEST(FitProfile, NoiseIsBinomialOrResidualAsStated) {
  Points used{{1, 2, 3, 4, 5}, {0.2, 0.4, 0.5, 0.6, 0.8}, {100, 100, 100, 100, 100}};
  // By hand: mean of R(1 - R) / 100 = (0.16 + 0.24 + 0.25 + 0.24 + 0.16) / 5 / 100 = 0.0021.
  // The wider margin wins: chi2(1) x 0.0021 = 0.0081 against F(1, 2) x 0.0001 / 2 = 0.0009.
  NoiseEstimate ne = noise_estimate(used, /*sse=*/0.0001, 3, 0.95);
  EXPECT_TRUE(ne.binomial);
  EXPECT_NEAR(ne.sigma2, 0.0021, 1e-12);
  EXPECT_NEAR(ne.critical, 3.841, 1e-3);
  // Residuals whose margin is wider, F(1, 2) x 0.01 = 0.185: theirs.
  ne = noise_estimate(used, /*sse=*/0.02, 3, 0.95);
  EXPECT_FALSE(ne.binomial);
  EXPECT_NEAR(ne.sigma2, 0.01, 1e-12);
  EXPECT_NEAR(ne.critical, 4.303 * 4.303, 0.01);
  // No counts and no residual degrees of freedom: nothing can say.
  Points three{{1, 2, 3}, {0.2, 0.4, 0.5}, {}};
  ne = noise_estimate(three, 0.0, 3, 0.95);
  EXPECT_TRUE(std::isinf(ne.sigma2));
  // A perfect fit without counts does not claim zero noise: the residual variance is floored at 1e-6.
  ne = noise_estimate(Points{used.C, used.R, {}}, 0.0, 3, 0.95);
  EXPECT_EQ(ne.sigma2, 1e-6);
  // The same three points with their counts: the binomial variance.
  three.N = {100, 100, 100};
  EXPECT_TRUE(noise_estimate(three, 0.0, 3, 0.95).binomial);
}

constexpr SigmoidParams kTruth{0.61, 1.92, 2542, 0.25};  // ScaleRL's 8B curve

// Validations at C = k * step (k = 0..n-1), each the mean of N Bernoulli draws at the true pass rate.
Points binomial_run(double step, int n, int N, uint64_t seed) {
  Rng rng(seed);
  Points p;
  for (int k = 0; k < n; ++k) {
    const double C = k * step, q = sigmoid_law(kTruth, C);
    int hits = 0;
    for (int s = 0; s < N; ++s) hits += rng.next_uniform() < q;
    p.C.push_back(C), p.R.push_back(static_cast<double>(hits) / N), p.N.push_back(N);
  }
  return p;
}

// The first half of a run to 6.7 C_mid (97.5% of the gain), 15 validations of 800 samples (the quickstart's
// 200 prompts x 4): the 95% interval of R at the run's end covers the true value on most seeds, and it is
// not wide for it.
TEST(FitProfile, HalfRunPredictionsCoverTheTruth) {
  const double range = kTruth.C_mid * std::pow(39.0, 1.0 / kTruth.B);
  const int seeds = 60;
  int covered = 0, declined = 0;
  double width = 0;
  for (int s = 0; s < seeds; ++s) {
    Points pts = binomial_run(range / 2 / 14, 15, 800, 100 + s);
    BootstrapOptions bopt;
    bopt.resamples = 50, bopt.seed = s + 1, bopt.predict_at = {range};
    absl::StatusOr<FitReport> rep = fit_sigmoid_report({pts}, FitOptions{}, bopt);
    ASSERT_TRUE(rep.ok()) << rep.status();
    const Interval& iv = rep->predictions[0];
    covered += iv.lo <= sigmoid_law(kTruth, range) && sigmoid_law(kTruth, range) <= iv.hi;
    declined += !rep->unpinned[0].empty();
    width += iv.hi - iv.lo;
  }
  EXPECT_GE(covered, seeds * 90 / 100) << covered << " of " << seeds;
  EXPECT_LT(width / seeds, 0.12) << "mean width";
  EXPECT_LE(declined, seeds / 10);
}

// Seen only up to half of C_mid (the curve has made 20% of its gain), A is anyone's guess: the interval of A
// must reach far up, and the prediction at the full range is declined, not given with a narrow interval.
TEST(FitProfile, AnUnpinnedEndIsDeclined) {
  const double range = kTruth.C_mid * std::pow(39.0, 1.0 / kTruth.B);
  int declined = 0;
  for (int s = 0; s < 10; ++s) {
    Points pts = binomial_run(kTruth.C_mid / 2 / 9, 10, 400, 300 + s);
    BootstrapOptions bopt;
    bopt.resamples = 100, bopt.seed = s + 1, bopt.predict_at = {range};
    absl::StatusOr<FitReport> rep = fit_sigmoid_report({pts}, FitOptions{}, bopt);
    ASSERT_TRUE(rep.ok()) << rep.status();
    EXPECT_GE(rep->A.hi, 0.9) << "seed " << s;
    EXPECT_LE(rep->predictions[0].lo, sigmoid_law(kTruth, range));
    EXPECT_GE(rep->predictions[0].hi, sigmoid_law(kTruth, range));
    declined += !rep->unpinned[0].empty();
  }
  EXPECT_EQ(declined, 10);
}

// The profile intervals against a brute-force reference: the confidence region {(A, B, C_mid) : SSE <=
// SSE_min + critical sigma^2} sampled on a fine grid and projected on A and on R(C*). The grid's region lies
// inside the true one, so the profile interval must contain the grid's, and its edges lie within a grid cell
// or two of it.
TEST(FitProfile, IntervalsMatchABruteForceRegion) {
  Points pts = binomial_run(kTruth.C_mid * 2 / 11, 12, 400, 7);
  absl::StatusOr<FitResult> fit = fit_sigmoid(pts, FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();
  const Points used = points_used(pts, 0);
  const NoiseEstimate ne = noise_estimate(used, fit->sse, 3, 0.95);
  const double allowed = ne.critical * ne.sigma2, r0 = fit->p.R0, c_star = 3 * pts.C.back();
  double a_lo = 1, a_hi = 0, y_lo = 1, y_hi = 0;
  for (double A = 0; A <= 1 + 1e-9; A += 0.0025) {
    for (int ib = 0; ib <= 120; ++ib) {
      const double B = std::exp(std::log(0.05) + ib * (std::log(20.0) - std::log(0.05)) / 120);
      for (int ic = 0; ic <= 160; ++ic) {
        const double cm = std::exp(std::log(kTruth.C_mid / 20) + ic * std::log(400.0) / 160);
        const SigmoidParams p{A, B, cm, r0};
        if (sigmoid_sse(p, used.C, used.R) > fit->sse + allowed) continue;
        const double y = sigmoid_law(p, c_star);
        a_lo = std::min(a_lo, A), a_hi = std::max(a_hi, A), y_lo = std::min(y_lo, y),
        y_hi = std::max(y_hi, y);
      }
    }
  }
  ASSERT_LT(a_lo, a_hi);
  const ProfileInterval pa = profile_interval_a(used, r0, SigmoidBounds{}, fit->p.A, fit->sse, allowed);
  const ProfileInterval pr =
      profile_interval_r(used, r0, SigmoidBounds{}, c_star, sigmoid_law(fit->p, c_star), fit->sse, allowed);
  std::printf("A: profile [%.4f, %.4f], grid [%.4f, %.4f]; R(C*): profile [%.4f, %.4f], grid [%.4f, %.4f]\n",
              pa.lo, pa.hi, a_lo, a_hi, pr.lo, pr.hi, y_lo, y_hi);
  EXPECT_LE(pa.lo, a_lo + 1e-3);
  EXPECT_GE(pa.hi, a_hi - 1e-3);
  EXPECT_NEAR(pa.lo, a_lo, 0.006);
  EXPECT_NEAR(pa.hi, a_hi, 0.006);
  EXPECT_LE(pr.lo, y_lo + 1e-3);
  EXPECT_GE(pr.hi, y_hi - 1e-3);
  EXPECT_NEAR(pr.lo, y_lo, 0.006);
  EXPECT_NEAR(pr.hi, y_hi, 0.006);
}

// Three validations with their sample counts: the bootstrap has no residuals to draw and collapses to a
// point; the binomial noise still gives an honest interval, and it is declined as too wide to pin anything.
TEST(FitProfile, ThreePointsWithCountsGiveAnIntervalNotAPoint) {
  Points pts = binomial_run(kTruth.C_mid / 2, 4, 200, 11);  // the start and three points
  BootstrapOptions bopt;
  bopt.resamples = 100, bopt.predict_at = {kTruth.C_mid * 6};
  absl::StatusOr<FitReport> rep = fit_sigmoid_report({pts}, FitOptions{}, bopt);
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_TRUE(rep->noise.binomial);
  EXPECT_GT(rep->A.hi - rep->A.lo, 0.1);
  EXPECT_GT(rep->predictions[0].hi - rep->predictions[0].lo, 0.1);
  EXPECT_FALSE(rep->unpinned[0].empty());
  EXPECT_LE(rep->predictions[0].lo, sigmoid_law(kTruth, kTruth.C_mid * 6));
  EXPECT_GE(rep->predictions[0].hi, sigmoid_law(kTruth, kTruth.C_mid * 6));
}

}  // namespace

}  // namespace ascent
