#include "curve_fit/laws.h"

#include <cmath>

namespace ascent {

double sigmoid_law(const SigmoidParams& p, double C) {
  if (C <= 0) return p.R0;
  // 1 / (1 + exp(z)) with z = B (log C_mid - log C), written so that neither branch overflows.
  const double z = p.B * (std::log(p.C_mid) - std::log(C));
  const double s = z > 0 ? std::exp(-z) / (1.0 + std::exp(-z)) : 1.0 / (1.0 + std::exp(z));
  return p.R0 + (p.A - p.R0) * s;
}

double power_law(const PowerParams& p, double C) {
  return p.A - p.D * std::exp(-p.B * std::log(C));
}

double sigmoid_sse(const SigmoidParams& p, const std::vector<double>& C, const std::vector<double>& R) {
  double s = 0;
  for (size_t i = 0; i < C.size(); ++i) {
    const double r = R[i] - sigmoid_law(p, C[i]);
    s += r * r;
  }
  return s;
}

}  // namespace ascent
