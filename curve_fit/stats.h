// Quantiles of the distributions the fit's intervals need: the standard normal, Student's t and chi-square
// with one degree of freedom (chi2(1) = z^2, F(1, nu) = t_nu^2). Computed from the regularised incomplete
// beta function (continued fraction, Numerical Recipes 3rd ed. section 6.4) and bisection: no dependency
// beyond <cmath>, accurate to 1e-9 in the quantile.
#pragma once

namespace ascent {

// The quantile z with P(Z <= z) = p for a standard normal Z; p in (0, 1).
double normal_quantile(double p);
// P(T <= t) for Student's t with nu > 0 degrees of freedom.
double student_t_cdf(double t, double nu);
// The quantile t with P(T <= t) = p; p in (0, 1).
double student_t_quantile(double p, double nu);
// The two-sided critical value of a profile-likelihood interval at `level` (e.g. 0.95): the level's quantile
// of F(1, dof) (t^2) when the noise variance was estimated with dof degrees of freedom, of chi2(1) (z^2) when
// it is known (dof <= 0).
double profile_critical_value(double level, int dof);

}  // namespace ascent
