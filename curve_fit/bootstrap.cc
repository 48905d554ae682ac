#include "curve_fit/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "core/rng.h"
#include "core/status.h"

namespace ascent {

namespace {

struct RunResiduals {
  Points used;
  std::vector<double> resid;  // of the used points against the pooled fit
  double start_resid = 0;     // of the run's measured start against the fitted R0
};

// Widens A and the predictions to the profile-likelihood intervals (R0 held at the fit's), and decides which
// predictions stand.
void add_profile_intervals(const Points& pooled, const FitOptions& opt, const BootstrapOptions& bopt,
                           FitReport* rep) {
  const Points used = points_used(pooled, opt.c_min);
  const SigmoidParams& p = rep->fit.p;
  rep->noise = noise_estimate(used, rep->fit.sse, opt.fit_r0 ? 4 : 3, bopt.level);
  const double allowed = rep->noise.critical * rep->noise.sigma2;
  rep->used = used, rep->bounds = opt.bounds, rep->allowed = allowed;
  ProfileInterval pa{p.A, p.A, false, false};
  if (bopt.profile_a) {
    pa = profile_interval_a(used, p.R0, opt.bounds, p.A, rep->fit.sse, allowed);
    rep->A.lo = std::min(rep->A.lo, pa.lo), rep->A.hi = std::max(rep->A.hi, pa.hi);
  }
  for (size_t i = 0; i < bopt.predict_at.size(); ++i) {
    Interval& iv = rep->predictions[i];
    const ProfileInterval pr =
        profile_interval_r(used, p.R0, opt.bounds, bopt.predict_at[i], iv.value, rep->fit.sse, allowed);
    iv.lo = std::min(iv.lo, pr.lo), iv.hi = std::max(iv.hi, pr.hi);
    const double noise = allowed;  // critical * sigma^2 of one measurement
    Interval one = iv;
    one.lo = std::max(opt.bounds.a_lo, iv.value - std::sqrt((iv.value - iv.lo) * (iv.value - iv.lo) + noise));
    one.hi = std::min(opt.bounds.a_hi, iv.value + std::sqrt((iv.hi - iv.value) * (iv.hi - iv.value) + noise));
    rep->predictions_one.push_back(one);
    std::string why;
    if (!std::isfinite(rep->noise.sigma2)) {
      why = "the noise cannot be estimated: " + rep->noise.source;
    } else if (iv.hi - iv.lo > bopt.max_prediction_width) {
      why = absl::StrFormat("its %.0f%% interval [%.3f, %.3f] is wider than %.2f%s", 100 * bopt.level, iv.lo,
                            iv.hi, bopt.max_prediction_width,
                            pa.hi_at_bound || pa.lo_at_bound ? "; the data admit A up to its bound" : "");
    }
    rep->unpinned.push_back(why);
  }
}

}  // namespace

Interval interval_percentile(std::vector<double> v, double value, double level) {
  if (v.empty()) return {value, value, value};
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {
    const double pos = f * static_cast<double>(v.size() - 1);
    const size_t i = static_cast<size_t>(pos);
    const double t = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
  };
  return {value, q((1 - level) / 2), q(1 - (1 - level) / 2)};
}

Interval report_band(const FitReport& rep, double C) {
  std::vector<double> v;
  v.reserve(rep.draws.size());
  for (const SigmoidParams& p : rep.draws) v.push_back(sigmoid_law(p, C));
  return interval_percentile(std::move(v), sigmoid_law(rep.fit.p, C), rep.level);
}

Interval report_band_profile(const FitReport& rep, double C) {
  Interval band = report_band(rep, C);
  if (rep.used.C.empty() || !(C > 0)) return band;
  const ProfileInterval pr =
      profile_interval_r(rep.used, rep.fit.p.R0, rep.bounds, C, band.value, rep.fit.sse, rep.allowed);
  band.lo = std::min(band.lo, pr.lo), band.hi = std::max(band.hi, pr.hi);
  return band;
}

absl::StatusOr<FitReport> fit_sigmoid_report(const std::vector<Points>& runs, const FitOptions& opt,
                                             const BootstrapOptions& bopt) {
  if (runs.empty()) return absl::InvalidArgumentError("no runs to fit");
  const Points pooled = points_pool(runs);
  ASCENT_ASSIGN_OR_RETURN(FitResult fit, fit_sigmoid(pooled, opt));
  FitReport rep;
  rep.fit = fit;
  rep.level = bopt.level;
  rep.runs = static_cast<int>(runs.size());
  rep.predict_at = bopt.predict_at;

  const int nparam = opt.fit_r0 ? 4 : 3;
  std::vector<RunResiduals> rr(runs.size());
  size_t n_total = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    rr[k].used = points_used(runs[k], opt.c_min);
    for (size_t i = 0; i < rr[k].used.C.size(); ++i) {
      rr[k].resid.push_back(rr[k].used.R[i] - sigmoid_law(fit.p, rr[k].used.C[i]));
    }
    rr[k].start_resid = points_start(runs[k]) - fit.p.R0;
    n_total += rr[k].used.C.size();
  }
  const double n = static_cast<double>(n_total);
  const double inflate = n > nparam ? std::sqrt(n / (n - nparam)) : 1.0;

  const int nb = std::max(0, bopt.resamples);
  rep.draws.assign(nb, {});
  std::vector<char> ok(nb, 0);
#pragma omp parallel for schedule(dynamic, 16)
  for (int b = 0; b < nb; ++b) {
    Rng rng(bopt.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b) + 1);
    Points sample;
    double start = 0;
    for (size_t k = 0; k < runs.size(); ++k) {
      const RunResiduals& run = rr[runs.size() > 1 ? rng.next_u64() % runs.size() : k];
      if (run.resid.empty()) continue;
      for (size_t i = 0; i < run.used.C.size(); ++i) {
        sample.C.push_back(run.used.C[i]);
        sample.R.push_back(sigmoid_law(fit.p, run.used.C[i]) +
                           inflate * run.resid[rng.next_u64() % run.resid.size()]);
      }
      // The start: the drawn run's own offset from R0 (several runs), or a drawn residual (one run).
      start += fit.p.R0 +
               (runs.size() > 1 ? run.start_resid : inflate * run.resid[rng.next_u64() % run.resid.size()]);
    }
    if (static_cast<int>(sample.C.size()) < nparam) continue;
    SigmoidParams from = fit.p;
    if (!opt.fit_r0) from.R0 = start / static_cast<double>(runs.size());
    rep.draws[b] = fit_sigmoid_local(sample.C, sample.R, from, opt.bounds, opt.fit_r0);
    ok[b] = 1;
  }
  size_t kept = 0;
  for (int b = 0; b < nb; ++b) {
    if (ok[b]) rep.draws[kept++] = rep.draws[b];
  }
  rep.draws.resize(kept);
  std::vector<double> a, bb, cm, r0;
  for (const SigmoidParams& p : rep.draws)
    a.push_back(p.A), bb.push_back(p.B), cm.push_back(p.C_mid), r0.push_back(p.R0);
  rep.A = interval_percentile(a, fit.p.A, bopt.level);
  rep.B = interval_percentile(bb, fit.p.B, bopt.level);
  rep.C_mid = interval_percentile(cm, fit.p.C_mid, bopt.level);
  rep.R0 = interval_percentile(r0, fit.p.R0, bopt.level);
  for (double C : bopt.predict_at) rep.predictions.push_back(report_band(rep, C));
  add_profile_intervals(pooled, opt, bopt, &rep);
  if (rep.draws.size() >= 20 && rep.A.hi - rep.A.lo > 0.1) {
    rep.fit.warnings.push_back(
        absl::StrFormat("the %.0f%% interval of A is [%.3f, %.3f], wider than 0.1: the data do not pin the "
                        "asymptote yet (more "
                        "compute past C_mid = %.4g narrows it)",
                        100 * bopt.level, rep.A.lo, rep.A.hi, fit.p.C_mid));
  }
  return rep;
}

std::string interval_text(const Interval& v, char conv, int precision) {
  auto one = [&](double x) {
    return conv == 'g' ? absl::StrFormat("%.*g", precision, x) : absl::StrFormat("%.*f", precision, x);
  };
  return absl::StrCat(one(v.value), " [", one(v.lo), ", ", one(v.hi), "]");
}

}  // namespace ascent
