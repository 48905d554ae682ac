// Times one `ascent fit`-style fit: the sigmoid fit plus bootstrap resamples on the points of a CSV file
// (columns gpu_hours,pass_rate), and prints the fit as one JSON line. bench/fit_vs_scipy.py runs it beside
// scipy.optimize.curve_fit on the same files.
// Usage: bench_fit FILE.csv [--resamples N] [--repeat N] [--predict C] [--threads N]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "curve_fit/bootstrap.h"
#include "curve_fit/run_reader.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

int main(int argc, char** argv) {
  std::string file;
  int resamples = 1000, repeat = 5, threads = 1;
  double predict = 0;
  CLI::App app{"bench_fit"};
  app.add_option("file", file)->required();
  app.add_option("--resamples", resamples);
  app.add_option("--repeat", repeat);
  app.add_option("--predict", predict);
  app.add_option("--threads", threads);
  CLI11_PARSE(app, argc, argv);
  omp_set_num_threads(threads);
  std::vector<std::string> warnings;
  absl::StatusOr<Points> pts = points_read(file, "gpu_hours", "pass_rate", &warnings);
  if (!pts.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pts.status().message()).c_str());
    return 1;
  }
  BootstrapOptions bo;
  bo.resamples = resamples;
  if (predict > 0) bo.predict_at = {predict};
  std::vector<double> ms;
  absl::StatusOr<FitReport> rep;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    rep = fit_sigmoid_report({*pts}, FitOptions{}, bo);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!rep.ok()) {
      std::fprintf(stderr, "%s\n", std::string(rep.status().message()).c_str());
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "{\"A\": %.9g, \"B\": %.9g, \"C_mid\": %.9g, \"R0\": %.9g, \"sse\": %.9g, \"pred\": %.9g, "
      "\"pred_lo\": %.9g, \"pred_hi\": %.9g, \"A_lo\": %.9g, \"A_hi\": %.9g, \"n\": %zu, \"resamples\": %d, "
      "\"threads\": %d, \"ms_median\": %.3f}\n",
      rep->fit.p.A, rep->fit.p.B, rep->fit.p.C_mid, rep->fit.p.R0, rep->fit.sse,
      predict > 0 ? rep->predictions[0].value : 0.0, predict > 0 ? rep->predictions[0].lo : 0.0,
      predict > 0 ? rep->predictions[0].hi : 0.0, rep->A.lo, rep->A.hi, pts->C.size(), resamples, threads,
      ms[ms.size() / 2]);
  return 0;
}
