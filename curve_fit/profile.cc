#include "curve_fit/profile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_format.h"
#include "curve_fit/fit_internal.h"
#include "curve_fit/stats.h"

namespace ascent {

namespace {

constexpr double kMinResidualVariance = 1e-6;  // (0.001)^2
constexpr int kNodes = 100;                    // log C_mid nodes over the bounds' span
constexpr int kGolden = 24;                    // golden-section steps: the bracket shrinks by 0.618^24 = 1e-5
constexpr double kStep = 0.0025;               // the grid of q values the interval is read from
constexpr int kPastEdge = 12;  // q values rejected in a row before a side of the interval is closed
constexpr int kCoarse = 8;     // the coarse pass evaluates every 8th q value (0.02 apart)

struct Data {
  std::vector<double> logc, R;
  double r0;
};

double sse_at(const Data& d, double A, double B, double L) {
  return sigmoid_sse_log(d.logc, d.R, A, B, L, d.r0);
}

template <typename F>
double golden_min(F f, double lo, double hi) {
  if (!(hi > lo)) return f(lo);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < kGolden; ++it) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = f(x1);
    } else {
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = f(x2);
    }
  }
  return std::min(f1, f2);
}

// min over (log B, log C_mid) of the SSE with A = a_of(B, L); feasible(L, &ulo, &uhi) narrows log B at L
// to where A stays within its bounds (false: no B does).
template <typename Feasible, typename AOf>
double profile_min(const Data& d, const SigmoidBounds& b, Feasible feasible, AOf a_of) {
  const auto [lmin, lmax] = std::minmax_element(d.logc.begin(), d.logc.end());
  const double L0 = *lmin - std::log(b.cmid_span), L1 = *lmax + std::log(b.cmid_span);
  auto at_l = [&](double L) {
    double ulo = std::log(b.b_lo), uhi = std::log(b.b_hi);
    if (!feasible(L, &ulo, &uhi)) return std::numeric_limits<double>::infinity();
    return golden_min(
        [&](double u) {
          const double B = std::exp(u);
          return sse_at(d, a_of(B, L), B, L);
        },
        ulo, uhi);
  };
  const double dl = (L1 - L0) / (kNodes - 1);
  double best = std::numeric_limits<double>::infinity();
  int kbest = 0;
  for (int k = 0; k < kNodes; ++k) {
    const double s = at_l(L0 + k * dl);
    if (s < best) best = s, kbest = k;
  }
  if (!std::isfinite(best)) return best;
  const double lc = L0 + kbest * dl;
  return std::min(best, golden_min(at_l, std::max(L0, lc - dl), std::min(L1, lc + dl)));
}

// The SSE with A held at `a`.
double profile_at_a(const Data& d, const SigmoidBounds& b, double a) {
  return profile_min(
      d, b, [](double, double*, double*) { return true; }, [a](double, double) { return a; });
}

// The SSE with R(C*) held at y: A = R0 + (y - R0) (1 + (C_mid / C*)^B), which must stay within [a_lo, a_hi].
// With K = (bound - R0) / (y - R0) - 1 (bound: a_hi above R0, a_lo below), that is (C_mid / C*)^B <= K,
// i.e. B d <= log K for d = log C_mid - log C*.
double profile_at_r(const Data& d, const SigmoidBounds& b, double log_cstar, double y) {
  const double denom = y - d.r0;
  auto a_of = [&](double B, double L) { return d.r0 + denom * (1 + std::exp(B * (L - log_cstar))); };
  auto feasible = [&](double L, double* ulo, double* uhi) {
    if (std::fabs(denom) < 1e-12) return true;  // y = R0: the flat curve A = R0
    const double K = ((denom > 0 ? b.a_hi : b.a_lo) - d.r0) / denom - 1;
    if (K <= 0) return false;
    const double lnk = std::log(K), dd = L - log_cstar;
    if (std::fabs(dd) < 1e-15) return lnk >= 0;
    const double bcrit = lnk / dd;
    if (dd > 0) {  // B <= bcrit
      if (bcrit <= 0) return false;
      *uhi = std::min(*uhi, std::log(bcrit));
    } else if (bcrit > 0) {  // B >= bcrit
      *ulo = std::max(*ulo, std::log(bcrit));
    }
    return *ulo <= *uhi;
  };
  return profile_min(d, b, feasible, a_of);
}

// Reads the interval off the q grid over [a_lo, a_hi]: a coarse pass over the whole range (every kCoarse-th
// value, in parallel: a second accepted region is not missed), then a walk out from the best fit's value on
// each side until kPastEdge values in a row are rejected; each edge is then placed by bisection between its
// last accepted and first rejected value.
template <typename Profile>
ProfileInterval interval_from(Profile profile, const SigmoidBounds& b, double value, double sse_min,
                              double allowed) {
  if (!std::isfinite(allowed)) return {b.a_lo, b.a_hi, true, true};
  const int n = static_cast<int>(std::floor((b.a_hi - b.a_lo) / kStep + 1e-9)) + 1;
  auto q_at = [&](int i) { return i == n - 1 ? b.a_hi : b.a_lo + i * kStep; };
  const int centre = std::clamp(static_cast<int>(std::lround((value - b.a_lo) / kStep)), 0, n - 1);
  std::vector<double> sse(n, std::numeric_limits<double>::quiet_NaN());
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; i += kCoarse) sse[i] = profile(q_at(i));
  for (int i = 0; i < n; i += kCoarse) sse_min = std::min(sse_min, sse[i]);
  for (int dir : {-1, 1}) {
    int misses = 0;
    for (int i = centre; i >= 0 && i < n && misses < kPastEdge; i += dir) {
      if (std::isnan(sse[i])) sse[i] = profile(q_at(i));
      sse_min = std::min(sse_min, sse[i]);
      misses = sse[i] <= sse_min + allowed ? 0 : misses + 1;
    }
  }
  const double cut = sse_min + allowed;
  int ilo = -1, ihi = -1;
  for (int i = 0; i < n; ++i) {
    if (std::isnan(sse[i]) || sse[i] > cut) continue;
    if (ilo < 0) ilo = i;
    ihi = i;
  }
  ProfileInterval out{value, value, false, false};
  if (ilo < 0) return out;
  // An edge between an accepted grid value and the next rejected one (evaluated or not), by bisection.
  auto edge = [&](int in, int outside) {
    double a = q_at(in), z = q_at(outside);
    for (int it = 0; it < 6; ++it) {
      const double mid = (a + z) / 2;
      (profile(mid) <= cut ? a : z) = mid;
    }
    return a;
  };
  out.lo = std::min(value, ilo > 0 ? edge(ilo, ilo - 1) : b.a_lo);
  out.hi = std::max(value, ihi < n - 1 ? edge(ihi, ihi + 1) : b.a_hi);
  out.lo_at_bound = ilo == 0, out.hi_at_bound = ihi == n - 1;
  return out;
}

Data data_of(const Points& used, double r0) {
  Data d{{}, used.R, r0};
  for (double c : used.C) d.logc.push_back(std::log(c));
  return d;
}

}  // namespace

NoiseEstimate noise_estimate(const Points& used, double sse, int nparam, double level) {
  NoiseEstimate ne;
  const int n = static_cast<int>(used.R.size());
  ne.dof = n - nparam;
  const double resid = ne.dof > 0 ? sse / ne.dof : std::numeric_limits<double>::infinity();
  bool counted = !used.N.empty() && used.N.size() == used.R.size();
  double binom = 0;
  for (size_t i = 0; counted && i < used.R.size(); ++i) {
    if (!(used.N[i] >= 1)) {
      counted = false;
      break;
    }
    const double p = std::clamp(used.R[i], 0.5 / used.N[i], 1 - 0.5 / used.N[i]);
    binom += p * (1 - p) / used.N[i] / n;
  }
  // The wider of the two margins, critical x sigma^2: the binomial variance is known (chi2(1)); the
  // residual variance is estimated (F(1, n - p)), and floored at (0.001)^2 so that a perfect fit of few
  // points does not claim a zero-width interval.
  const double chi2 = profile_critical_value(level, 0);
  const double f = ne.dof > 0 ? profile_critical_value(level, ne.dof) : 0;
  const double resid_floored = std::max(resid, kMinResidualVariance);
  if (counted && (ne.dof <= 0 || chi2 * binom >= f * resid_floored)) {
    ne.sigma2 = binom, ne.binomial = true, ne.critical = chi2;
    ne.source = absl::StrFormat("binomial: mean R(1 - R)/N over %d points (residuals: %s)", n,
                                ne.dof > 0 ? absl::StrFormat("%.3g with %d dof", resid, ne.dof) : "none");
  } else if (ne.dof > 0) {
    ne.sigma2 = resid_floored, ne.critical = f;
    ne.source = absl::StrFormat("residuals: sse / (n - p) with %d dof%s", ne.dof,
                                counted ? absl::StrFormat(" (binomial: %.3g)", binom) : "");
  } else {
    ne.sigma2 = std::numeric_limits<double>::infinity();
    ne.critical = chi2;
    ne.source = "none: as many points as free parameters, and no sample counts";
  }
  return ne;
}

ProfileInterval profile_interval_a(const Points& used, double r0, const SigmoidBounds& b, double value,
                                   double sse_min, double allowed) {
  const Data d = data_of(used, r0);
  return interval_from([&](double a) { return profile_at_a(d, b, a); }, b, value, sse_min, allowed);
}

ProfileInterval profile_interval_r(const Points& used, double r0, const SigmoidBounds& b, double c_star,
                                   double value, double sse_min, double allowed) {
  const Data d = data_of(used, r0);
  const double lc = std::log(c_star);
  return interval_from([&](double y) { return profile_at_r(d, b, lc, y); }, b, value, sse_min, allowed);
}

}  // namespace ascent
