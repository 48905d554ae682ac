#include "curve_fit/stats.h"

#include <cmath>

namespace ascent {

namespace {

// Continued fraction of the incomplete beta function, modified Lentz's method (Numerical Recipes 6.4).
double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d, h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return h;
}

// The regularised incomplete beta function I_x(a, b).
double beta_inc(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double lbt =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return std::exp(lbt) * beta_cf(a, b, x) / a;
  return 1 - std::exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

// Bisection for the increasing function f on [lo, hi]: the x with f(x) = target.
template <typename F>
double bisect(F f, double target, double lo, double hi) {
  for (int it = 0; it < 200 && hi - lo > 1e-12 * (1 + std::fabs(lo)); ++it) {
    const double mid = (lo + hi) / 2;
    (f(mid) < target ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double normal_quantile(double p) {
  return bisect([](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }, p, -40, 40);
}

double student_t_cdf(double t, double nu) {
  const double tail = 0.5 * beta_inc(nu / 2, 0.5, nu / (nu + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double nu) {
  const double bound = 1e7;  // t_{0.9999995}(1) is 6.4e5
  return bisect([nu](double t) { return student_t_cdf(t, nu); }, p, -bound, bound);
}

double profile_critical_value(double level, int dof) {
  const double p = (1 + level) / 2;
  const double q = dof > 0 ? student_t_quantile(p, dof) : normal_quantile(p);
  return q * q;
}

}  // namespace ascent
