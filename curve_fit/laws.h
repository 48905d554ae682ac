// The compute-performance laws of docs/algorithms.md section 10.
//   sigmoid: R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B)   A asymptote, B efficiency, C_mid half-gain compute,
//                                                          R0 the reward as C -> 0
//   power:   R(C) = A - D / C^B                            the large-C form; D = (A - R0) C_mid^B
#pragma once

#include <vector>

namespace ascent {

struct SigmoidParams {
  double A = 0, B = 0, C_mid = 0, R0 = 0;
};

struct PowerParams {
  double A = 0, D = 0, B = 0;
};

// Both are evaluated in log space, exact for any C > 0; sigmoid_law(p, 0) = R0.
double sigmoid_law(const SigmoidParams& p, double C);
double power_law(const PowerParams& p, double C);

// Sum of squared residuals R_i - sigmoid_law(p, C_i).
double sigmoid_sse(const SigmoidParams& p, const std::vector<double>& C, const std::vector<double>& R);

}  // namespace ascent
