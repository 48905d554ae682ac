// Bounded nonlinear least squares for the sigmoid law with Eigen's Levenberg-Marquardt.
// Each free parameter x in [lo, hi] is x = lo + (hi - lo) * logistic(u) with u unbounded (B and C_mid on a
// log scale), so LM runs unconstrained on u; the Jacobian is analytic, chained through the logistic.
#include <algorithm>
#include <cmath>

#include <unsupported/Eigen/LevenbergMarquardt>

#include "curve_fit/fit.h"
#include "curve_fit/fit_internal.h"

namespace ascent {

namespace {

constexpr size_t kStarts = 5;  // LM runs from the best 5 grid cells

double logistic(double u) {
  return u >= 0 ? 1.0 / (1.0 + std::exp(-u)) : std::exp(u) / (1.0 + std::exp(u));
}

struct Bounded {
  double lo, hi;
  double value(double u) const { return lo + (hi - lo) * logistic(u); }
  double slope(double u) const {
    const double s = logistic(u);
    return (hi - lo) * s * (1 - s);
  }
  double free_of(double x) const {
    // Starts on a bound are moved just inside it, where the logistic still has slope.
    const double t = std::clamp((x - lo) / (hi - lo), 1e-6, 1 - 1e-6);
    return std::log(t / (1 - t));
  }
};

// Parameter order: A, log B, log C_mid, R0. `free_idx` lists the ones LM moves; the others stay at `fixed`.
struct SigmoidFunctor : Eigen::DenseFunctor<double> {
  SigmoidFunctor(const std::vector<double>& logc, const std::vector<double>& R, const Bounded (&bd)[4],
                 const double (&fixed)[4], std::vector<int> free_idx)
      : Eigen::DenseFunctor<double>(static_cast<int>(free_idx.size()), static_cast<int>(R.size())),
        logc(logc),
        R(R),
        bd(bd),
        free_idx(std::move(free_idx)) {
    std::copy(std::begin(fixed), std::end(fixed), x0);
  }

  void unpack(const InputType& u, double* x) const {
    std::copy(std::begin(x0), std::end(x0), x);
    for (size_t k = 0; k < free_idx.size(); ++k) x[free_idx[k]] = bd[free_idx[k]].value(u[k]);
  }

  int operator()(const InputType& u, ValueType& f) const {
    double x[4];
    unpack(u, x);
    const double A = x[0], B = std::exp(x[1]), L = x[2], R0 = x[3];
    for (size_t i = 0; i < R.size(); ++i) {
      const double z = B * (L - logc[i]);
      const double s = z > 0 ? std::exp(-z) / (1.0 + std::exp(-z)) : 1.0 / (1.0 + std::exp(z));
      f[i] = R0 + (A - R0) * s - R[i];
    }
    return 0;
  }

  int df(const InputType& u, JacobianType& J) const {
    double x[4];
    unpack(u, x);
    const double A = x[0], B = std::exp(x[1]), L = x[2], R0 = x[3];
    for (size_t i = 0; i < R.size(); ++i) {
      const double d = L - logc[i], z = B * d;
      const double s = z > 0 ? std::exp(-z) / (1.0 + std::exp(-z)) : 1.0 / (1.0 + std::exp(z));
      const double dz = -(A - R0) * s * (1 - s);  // d residual / dz
      // d residual / d (A, log B, log C_mid, R0)
      const double g[4] = {s, dz * d * B, dz * B, 1 - s};
      for (size_t k = 0; k < free_idx.size(); ++k) J(i, k) = g[free_idx[k]] * bd[free_idx[k]].slope(u[k]);
    }
    return 0;
  }

  const std::vector<double>& logc;
  const std::vector<double>& R;
  const Bounded (&bd)[4];
  std::vector<int> free_idx;
  double x0[4];
};

}  // namespace

SigmoidParams fit_sigmoid_local(const std::vector<double>& C, const std::vector<double>& R,
                                const SigmoidParams& start, const SigmoidBounds& b, bool fit_r0, bool fix_a) {
  std::vector<double> logc(C.size());
  for (size_t i = 0; i < C.size(); ++i) logc[i] = std::log(C[i]);
  const auto [lmin, lmax] = std::minmax_element(logc.begin(), logc.end());
  const Bounded bd[4] = {{b.a_lo, b.a_hi},
                         {std::log(b.b_lo), std::log(b.b_hi)},
                         {*lmin - std::log(b.cmid_span), *lmax + std::log(b.cmid_span)},
                         {b.r0_lo, b.r0_hi}};
  const double x0[4] = {start.A, std::log(start.B), std::log(start.C_mid), start.R0};
  std::vector<int> free_idx;
  if (!fix_a) free_idx.push_back(0);
  free_idx.push_back(1), free_idx.push_back(2);
  if (fit_r0) free_idx.push_back(3);
  SigmoidFunctor f(logc, R, bd, x0, free_idx);
  Eigen::VectorXd u(free_idx.size());
  for (size_t k = 0; k < free_idx.size(); ++k) u[k] = bd[free_idx[k]].free_of(x0[free_idx[k]]);
  Eigen::LevenbergMarquardt<SigmoidFunctor> lm(f);
  lm.setMaxfev(400);
  lm.setFtol(1e-12);
  lm.setXtol(1e-10);
  lm.minimize(u);
  double x[4];
  f.unpack(u, x);
  SigmoidParams p{x[0], std::exp(x[1]), std::exp(x[2]), x[3]};
  // The move inside a bound (free_of) can cost a hair of SSE when LM then makes no step: keep the start then.
  if (sigmoid_sse(p, C, R) > sigmoid_sse(start, C, R)) p = start;
  return p;
}

absl::StatusOr<FitResult> fit_sigmoid(const Points& pts, const FitOptions& opt) {
  ASCENT_ASSIGN_OR_RETURN(Prepared pr, fit_prepare(pts, opt));
  FitResult r;
  r.sse = INFINITY;
  for (const FitResult& cell : grid_cells_best(pr, opt, kStarts)) {
    const SigmoidParams p = fit_sigmoid_local(pr.used.C, pr.used.R, cell.p, opt.bounds, opt.fit_r0);
    const double sse = sigmoid_sse(p, pr.used.C, pr.used.R);
    if (sse < r.sse) r.p = p, r.sse = sse;
  }
  r.n_points = static_cast<int>(pr.used.C.size());
  fit_warnings(pr, opt, &r);
  return r;
}

}  // namespace ascent
