#include "curve_fit/run_fit.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace ascent {

absl::StatusOr<RunFit> run_fit(RunData data, const FitOptions& opt, const BootstrapOptions& bopt) {
  RunFit rf;
  absl::StatusOr<FitReport> rep = fit_sigmoid_report(data.seeds, opt, bopt);
  if (!rep.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(data.label, " (", data.files[0],
                                                   data.files.size() > 1 ? ", ..." : "",
                                                   "): ", rep.status().message()));
  }
  rf.report = std::move(*rep);
  absl::StatusOr<PowerFit> pw = fit_power(points_pool(data.seeds), opt.c_min);
  if (pw.ok()) rf.has_power = true, rf.power = *pw;
  rf.data = std::move(data);
  return rf;
}

std::vector<Comparison> run_compare_all(const std::vector<RunFit>& runs, const FitOptions& opt) {
  std::vector<Comparison> out;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (size_t j = i + 1; j < runs.size(); ++j) {
      const RunFit &a = runs[i], &b = runs[j];
      out.push_back(
          {a.data.label, b.data.label,
           compare_fits(a.data.label, a.report.fit, points_used(points_pool(a.data.seeds), opt.c_min),
                        b.data.label, b.report.fit, points_used(points_pool(b.data.seeds), opt.c_min), opt)});
    }
  }
  return out;
}

}  // namespace ascent
