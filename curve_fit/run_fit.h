// One recipe's fit as `ascent fit` shows it: the points of its seeds, the sigmoid fit with bootstrap
// intervals and a prediction, and the power law beside it. Shared by the table, the JSON and the plot.
#pragma once

#include <string>
#include <vector>

#include "curve_fit/bootstrap.h"
#include "curve_fit/compare.h"
#include "curve_fit/run_reader.h"

namespace ascent {

struct FitContext {
  std::string x = "gpu_hours", y = "val/pass_rate";
  double c_min = 0;
  double predict_c = 0;  // > 0
};

struct RunFit {
  RunData data;
  FitReport report;
  bool has_power = false;
  PowerFit power;
};

struct Comparison {
  std::string first, second;
  CompareResult result;
};

absl::StatusOr<RunFit> run_fit(RunData data, const FitOptions& opt, const BootstrapOptions& bopt);
// ScaleRL's rule on every pair of runs, in the order given.
std::vector<Comparison> run_compare_all(const std::vector<RunFit>& runs, const FitOptions& opt);

}  // namespace ascent
