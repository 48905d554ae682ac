#include "curve_fit/compare.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace ascent {

CompareResult compare_fits(const std::string& label1, const FitResult& f1, const Points& used1,
                           const std::string& label2, const FitResult& f2, const Points& used2,
                           const FitOptions& opt, double a_tie) {
  CompareResult r;
  const double d = f1.p.A - f2.p.A;
  if (std::fabs(d) >= a_tie) {
    const bool first = d > 0;
    r.winner = first ? label1 : label2;
    r.verdict = absl::StrFormat("%s wins: higher asymptote A = %.3f vs %.3f for %s (difference %.3f >= %.2f)",
                                r.winner, std::max(f1.p.A, f2.p.A), std::min(f1.p.A, f2.p.A),
                                first ? label2 : label1, std::fabs(d), a_tie);
    return r;
  }
  r.tie_on_a = true;
  r.shared_a = (f1.p.A + f2.p.A) / 2;
  SigmoidParams s1 = f1.p, s2 = f2.p;
  s1.A = s2.A = r.shared_a;
  r.b_first = fit_sigmoid_local(used1.C, used1.R, s1, opt.bounds, opt.fit_r0, /*fix_a=*/true).B;
  r.b_second = fit_sigmoid_local(used2.C, used2.R, s2, opt.bounds, opt.fit_r0, /*fix_a=*/true).B;
  const bool first = r.b_first >= r.b_second;
  r.winner = first ? label1 : label2;
  r.verdict = absl::StrFormat(
      "%s wins on efficiency: A within %.2f (%.3f vs %.3f), refitted with shared A = %.3f: B = %.3f vs %.3f "
      "for %s",
      r.winner, a_tie, f1.p.A, f2.p.A, r.shared_a, std::max(r.b_first, r.b_second),
      std::min(r.b_first, r.b_second), first ? label2 : label1);
  return r;
}

}  // namespace ascent
