// ScaleRL's grid procedure, and the data checks and warnings shared by every sigmoid fit.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "curve_fit/fit.h"
#include "curve_fit/fit_internal.h"

namespace ascent {

GridSpec grid_spec_scalerl() {
  GridSpec g;
  g.a_lo = 0.450, g.a_hi = 0.800, g.a_step = 0.005;
  g.cmid_lo = 100, g.cmid_hi = 40000, g.cmid_steps = 100, g.cmid_log = false;
  return g;
}

namespace {

// SSE of the sigmoid at fixed (A, C_mid, R0) as a function of u = log B, on precomputed log C.
struct SseAtB {
  const std::vector<double>& logc;
  const std::vector<double>& R;
  double A, L, R0;
  double operator()(double u) const { return sigmoid_sse_log(logc, R, A, std::exp(u), L, R0); }
};

// Golden-section search over log B in [log b_lo, log b_hi]: 30 steps narrow the bracket by 0.618^30 = 5e-7.
double best_b(const SseAtB& f, const SigmoidBounds& bd, double* sse) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(bd.b_lo), hi = std::log(bd.b_hi);
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 30; ++it) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = f(x1);
    } else {
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = f(x2);
    }
  }
  *sse = std::min(f1, f2);
  return std::exp(f1 < f2 ? x1 : x2);
}

}  // namespace

double sigmoid_sse_log(const std::vector<double>& logc, const std::vector<double>& R, double A, double B,
                       double L, double R0) {
  double s = 0;
  for (size_t i = 0; i < logc.size(); ++i) {
    const double z = B * (L - logc[i]);
    const double e = std::exp(-std::fabs(z));  // one exp, and no overflow for either sign of z
    const double r = R0 + (A - R0) * (z > 0 ? e / (1.0 + e) : 1.0 / (1.0 + e)) - R[i];
    s += r * r;
  }
  return s;
}

absl::StatusOr<Prepared> fit_prepare(const Points& pts, const FitOptions& opt) {
  ASCENT_RETURN_IF_ERROR(points_check(pts, opt.c_min, opt.fit_r0 ? 4 : 3));
  Prepared pr{points_used(pts, opt.c_min), points_start(pts), {}};
  const auto [rmin, rmax] = std::minmax_element(pr.used.R.begin(), pr.used.R.end());
  if (*rmax - *rmin < 1e-12 && (opt.fit_r0 || std::fabs(*rmax - pr.r0) < 1e-12)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the curve is flat (every reward is ", *rmax, "): there is no gain to fit a law to"));
  }
  pr.logc.resize(pr.used.C.size());
  for (size_t i = 0; i < pr.used.C.size(); ++i) pr.logc[i] = std::log(pr.used.C[i]);
  return pr;
}

void fit_warnings(const Prepared& pr, const FitOptions& opt, FitResult* r) {
  const std::vector<double>& R = pr.used.R;
  const size_t third = std::max<size_t>(1, R.size() / 3);
  double head = 0, tail = 0;
  for (size_t i = 0; i < third; ++i) head += R[i], tail += R[R.size() - 1 - i];
  if (tail < head) {
    r->warnings.push_back(
        "the curve decreases (its last third is below its first third): fitted anyway, with A below the "
        "start");
  }
  const SigmoidBounds& b = opt.bounds;
  const double eps = 1e-6;
  if (r->p.A <= b.a_lo + eps || r->p.A >= b.a_hi - eps) {
    r->warnings.push_back(absl::StrCat("A = ", r->p.A, " is at its bound [", b.a_lo, ", ", b.a_hi,
                                       "]: the data do not pin the asymptote"));
  }
  if (r->p.B <= b.b_lo * (1 + eps) || r->p.B >= b.b_hi * (1 - eps)) {
    r->warnings.push_back(absl::StrCat("B = ", r->p.B, " is at its bound [", b.b_lo, ", ", b.b_hi, "]"));
  }
  const double cmax = *std::max_element(pr.used.C.begin(), pr.used.C.end());
  if (r->p.C_mid > 10 * cmax) {
    r->warnings.push_back(absl::StrCat("C_mid = ", r->p.C_mid, " is beyond 10x the largest compute seen (",
                                       cmax, "): A and C_mid are extrapolations the data barely constrain"));
  }
}

absl::StatusOr<FitResult> fit_sigmoid_grid(const Points& pts, const FitOptions& opt) {
  ASCENT_ASSIGN_OR_RETURN(Prepared pr, fit_prepare(pts, opt));
  std::vector<FitResult> cells = grid_cells_best(pr, opt, 1);
  FitResult best = cells.front();
  fit_warnings(pr, opt, &best);
  return best;
}

std::vector<FitResult> grid_cells_best(const Prepared& pr, const FitOptions& opt, size_t keep) {
  GridSpec g = opt.grid;
  const auto [cmin, cmax] = std::minmax_element(pr.used.C.begin(), pr.used.C.end());
  if (g.a_lo < 0) g.a_lo = opt.bounds.a_lo, g.a_hi = opt.bounds.a_hi;
  if (g.cmid_lo < 0) g.cmid_lo = *cmin / 10, g.cmid_hi = *cmax * 100;
  const int na = static_cast<int>(std::floor((g.a_hi - g.a_lo) / g.a_step + 1e-9)) + 1;
  std::vector<FitResult> cells(static_cast<size_t>(na) * g.cmid_steps);
#pragma omp parallel for schedule(dynamic)
  for (int ia = 0; ia < na; ++ia) {
    const double A = g.a_lo + ia * g.a_step;
    for (int k = 0; k < g.cmid_steps; ++k) {
      const double t = g.cmid_steps > 1 ? static_cast<double>(k) / (g.cmid_steps - 1) : 0.0;
      const double cm = g.cmid_log
                            ? std::exp(std::log(g.cmid_lo) + t * (std::log(g.cmid_hi) - std::log(g.cmid_lo)))
                            : g.cmid_lo + t * (g.cmid_hi - g.cmid_lo);
      double sse = 0;
      const double B = best_b({pr.logc, pr.used.R, A, std::log(cm), pr.r0}, opt.bounds, &sse);
      FitResult& c = cells[static_cast<size_t>(ia) * g.cmid_steps + k];
      c.p = {A, B, cm, pr.r0}, c.sse = sse, c.n_points = static_cast<int>(pr.used.C.size());
    }
  }
  keep = std::min(keep, cells.size());
  std::partial_sort(cells.begin(), cells.begin() + keep, cells.end(),
                    [](const FitResult& a, const FitResult& b) { return a.sse < b.sse; });
  cells.resize(keep);
  return cells;
}

}  // namespace ascent
