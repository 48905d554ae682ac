// The power law R = A - D / C^B by bounded least squares (Eigen's Levenberg-Marquardt, bounds by the same
// logistic reparametrisation as the sigmoid fit): A in [0, 1], log D in [-50, 50], B in [1e-3, 10].
#include <algorithm>
#include <cmath>

#include <unsupported/Eigen/LevenbergMarquardt>

#include "curve_fit/fit.h"
#include "curve_fit/fit_internal.h"

namespace ascent {

namespace {

double logistic(double u) {
  return u >= 0 ? 1.0 / (1.0 + std::exp(-u)) : std::exp(u) / (1.0 + std::exp(u));
}
double logit(double t) {
  t = std::clamp(t, 1e-6, 1 - 1e-6);
  return std::log(t / (1 - t));
}

constexpr double kALo = 0, kAHi = 1, kLogDLo = -50, kLogDHi = 50, kBLo = 1e-3, kBHi = 10;

struct PowerFunctor : Eigen::DenseFunctor<double> {
  PowerFunctor(const std::vector<double>& logc, const std::vector<double>& R)
      : Eigen::DenseFunctor<double>(3, static_cast<int>(R.size())), logc(logc), R(R) {}
  static PowerParams params(const InputType& u) {
    return {kALo + (kAHi - kALo) * logistic(u[0]), std::exp(kLogDLo + (kLogDHi - kLogDLo) * logistic(u[1])),
            kBLo + (kBHi - kBLo) * logistic(u[2])};
  }
  int operator()(const InputType& u, ValueType& f) const {
    const PowerParams p = params(u);
    for (size_t i = 0; i < R.size(); ++i) f[i] = p.A - p.D * std::exp(-p.B * logc[i]) - R[i];
    return 0;
  }
  int df(const InputType& u, JacobianType& J) const {
    const PowerParams p = params(u);
    double s[3];
    for (int k = 0; k < 3; ++k) s[k] = logistic(u[k]) * (1 - logistic(u[k]));
    for (size_t i = 0; i < R.size(); ++i) {
      const double t = p.D * std::exp(-p.B * logc[i]);
      J(i, 0) = (kAHi - kALo) * s[0];
      J(i, 1) = -t * (kLogDHi - kLogDLo) * s[1];  // d/d log D
      J(i, 2) = t * logc[i] * (kBHi - kBLo) * s[2];
    }
    return 0;
  }
  const std::vector<double>& logc;
  const std::vector<double>& R;
};

}  // namespace

absl::StatusOr<PowerFit> fit_power(const Points& pts, double c_min) {
  FitOptions opt;
  opt.c_min = c_min;
  ASCENT_ASSIGN_OR_RETURN(Prepared pr, fit_prepare(pts, opt));
  PowerFunctor f(pr.logc, pr.used.R);
  // Several starts over B (the power law's SSE has flat valleys); the best local optimum is kept.
  PowerFit best;
  best.sse = INFINITY;
  const double rmax = *std::max_element(pr.used.R.begin(), pr.used.R.end());
  for (double B0 : {0.1, 0.3, 1.0, 3.0}) {
    for (double A0 : {std::min(0.999, rmax + 0.02), std::min(0.999, rmax + 0.2)}) {
      // D from the first point: R_0 = A - D C_0^-B.
      const double D0 = std::max(1e-12, (A0 - pr.used.R.front()) * std::exp(B0 * pr.logc.front()));
      Eigen::VectorXd u(3);
      u << logit((A0 - kALo) / (kAHi - kALo)), logit((std::log(D0) - kLogDLo) / (kLogDHi - kLogDLo)),
          logit((B0 - kBLo) / (kBHi - kBLo));
      Eigen::LevenbergMarquardt<PowerFunctor> lm(f);
      lm.setMaxfev(400);
      lm.minimize(u);
      PowerFit fit{PowerFunctor::params(u), 0};
      for (size_t i = 0; i < pr.used.C.size(); ++i) {
        const double r = power_law(fit.p, pr.used.C[i]) - pr.used.R[i];
        fit.sse += r * r;
      }
      if (fit.sse < best.sse) best = fit;
    }
  }
  return best;
}

}  // namespace ascent
