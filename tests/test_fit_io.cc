// Reading runs for `ascent fit` (metrics.jsonl and CSV), the JSON schema, the SVG's parts, and the live refit
// the learner calls after each validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "curve_fit/fit_json.h"
#include "curve_fit/live_fit.h"
#include "curve_fit/plot_svg.h"
#include "curve_fit/run_reader.h"

namespace ascent {

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  return path;
}

double law(double C) {
  return sigmoid_law({0.61, 1.92, 2542, 0.25}, C);
}

TEST(FitIo, MetricsJsonlSkipsTrainingStepsAndWarnsOnNull) {
  std::string text;
  for (int step = 0; step < 60; ++step) {
    text += "{\"step\": " + std::to_string(step) + ", \"compute/gpu_hours\": " + std::to_string(step * 200.0);
    if (step % 3 == 0)
      text += ", \"val/pass_rate\": " + (step == 9 ? std::string("null") : std::to_string(law(step * 200.0)));
    text += "}\n";
  }
  const std::string path = write_temp("ascent_fit_io.jsonl", text);
  absl::StatusOr<RunData> run = run_read("mine=" + path, "gpu_hours", "pass_rate");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->label, "mine");
  ASSERT_EQ(run->seeds.size(), 1u);
  EXPECT_EQ(run->seeds[0].C.size(), 19u);  // 20 validations, one null
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_NE(run->warnings[0].find(path + ":10: "), std::string::npos) << run->warnings[0];
  EXPECT_DOUBLE_EQ(run->seeds[0].C[1], 600.0);
  // The label defaults to the file name without its extension.
  run = run_read(path, "gpu_hours", "val/pass_rate");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->label, "ascent_fit_io");
  // An x column that is not there is an error naming the line and what was looked for.
  run = run_read(path, "tokens", "val/pass_rate");
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find(":1: has 'val/pass_rate' but no 'tokens'"), std::string::npos)
      << run.status();
}

TEST(FitIo, CsvColumnsByNameInAnyOrder) {
  const std::string path =
      write_temp("ascent_fit_io.csv", "# comment\npass_rate, step ,gpu_hours\n0.25,0,0\n0.3,1,500\n");
  std::vector<std::string> warnings;
  absl::StatusOr<Points> p = points_read(path, "step", "val/pass_rate", &warnings);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->C, (std::vector<double>{0, 1}));
  EXPECT_EQ(p->R, (std::vector<double>{0.25, 0.3}));
}

TEST(FitIo, JsonHasEachParameterAsAnIntervalAndThePrediction) {
  Points pts;
  for (int k = 0; k <= 40; ++k)
    pts.C.push_back(k * 300.0), pts.R.push_back(law(k * 300.0) + 0.004 * std::sin(k));
  RunData data;
  data.label = "r", data.files = {"r.jsonl"}, data.seeds = {pts};
  BootstrapOptions bo;
  bo.resamples = 100, bo.predict_at = {20000};
  absl::StatusOr<RunFit> rf = run_fit(data, FitOptions{}, bo);
  ASSERT_TRUE(rf.ok()) << rf.status();
  FitContext ctx;
  ctx.predict_c = 20000;
  const nlohmann::json j = fit_json({*rf}, {}, ctx);
  for (const char* k : {"A", "B", "C_mid", "R0"}) {
    ASSERT_TRUE(j["fit"].contains(k)) << k;
    EXPECT_LE(j["fit"][k]["lo"].get<double>(), j["fit"][k]["value"].get<double>()) << k;
    EXPECT_GE(j["fit"][k]["hi"].get<double>(), j["fit"][k]["value"].get<double>()) << k;
  }
  EXPECT_EQ(j["prediction"]["C"].get<double>(), 20000);
  EXPECT_NEAR(j["prediction"]["value"].get<double>(), law(20000), 0.01);
  EXPECT_EQ(j["runs"].size(), 1u);
  EXPECT_FALSE(j.contains("power_law"));  // per run only
  EXPECT_TRUE(j["runs"][0].contains("power_law"));

  // The SVG: one group per run with its band, solid fit, dashed extrapolation and asymptote.
  const std::string svg = plot_svg({*rf}, ctx);
  for (const char* part : {"class=\"band\"", "class=\"fit\"", "class=\"extrapolation\"",
                           "class=\"asymptote\"", "class=\"prediction\"", "stroke-dasharray=\"8,6\""}) {
    EXPECT_NE(svg.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

TEST(FitIo, LiveFitRefitsAfterEachValidation) {
  LiveFit live(FitOptions{}, 100);
  EXPECT_FALSE(live.add(NAN, 0.3));
  EXPECT_FALSE(live.add(-1, 0.3));
  live.add(0, 0.25);
  live.add(500, law(500));
  absl::StatusOr<FitReport> r = live.refit(16000);
  ASSERT_FALSE(r.ok());  // one point past the start: too few for three parameters
  EXPECT_NE(r.status().message().find("needs at least"), std::string::npos) << r.status();
  double width_early = 0;
  for (int k = 2; k <= 30; ++k) {
    live.add(k * 300.0, law(k * 300.0) + 0.005 * std::cos(3 * k));
    if (k == 2) continue;  // 500 and 600: still two points past the start
    r = live.refit(16000);
    ASSERT_TRUE(r.ok()) << k << ": " << r.status();
    if (k == 8) width_early = r->predictions[0].hi - r->predictions[0].lo;
  }
  EXPECT_NEAR(r->fit.p.A, 0.61, 0.02);
  EXPECT_NEAR(r->predictions[0].value, law(16000), 0.02);
  EXPECT_LT(r->predictions[0].hi - r->predictions[0].lo, width_early);  // more data, a narrower prediction
}

// The live fit replayed over real runs (bench/real_curves, made with ascent train): a run whose policy
// collapsed in its last fifth (0.86 -> 0.17) is flagged at the fall, and healthy runs of the same recipe are
// flagged at most twice over their 30 validations (95% intervals: about 1.5 false alarms expected at worst).
int off_curve_flags(const std::string& name, std::vector<int>* flagged_at) {
  std::vector<std::string> warnings;
  absl::StatusOr<Points> pts =
      points_read(std::string(ASCENT_SOURCE_DIR) + "/bench/real_curves/" + name + ".metrics.jsonl",
                  "gpu_hours", "val/pass_rate", &warnings);
  EXPECT_TRUE(pts.ok()) << pts.status();
  if (!pts.ok()) return -1;
  LiveFit live(FitOptions{}, 20);
  int flags = 0;
  for (size_t i = 0; i < pts->C.size(); ++i) {
    if (absl::StatusOr<Interval> e = live.expected_at(pts->C[i]); e.ok()) {
      if (pts->R[i] < e->lo || pts->R[i] > e->hi) ++flags, flagged_at->push_back(static_cast<int>(i));
    }
    live.add(pts->C[i], pts->R[i], pts->N[i]);
  }
  std::printf("%s: %d validations off the curve:", name.c_str(), flags);
  for (int i : *flagged_at) std::printf(" %d (%.3f)", i, pts->R[i]);
  std::printf("\n");
  return flags;
}

TEST(FitIo, LiveFitFlagsARunThatLeavesItsCurve) {
  std::vector<int> at;
  off_curve_flags("quickstart_2e-4_s1", &at);
  // Validations 28-30 (0.49, 0.23, 0.17 after 0.75-0.86) are the collapse.
  for (int i : {28, 29, 30}) EXPECT_NE(std::find(at.begin(), at.end(), i), at.end()) << i;
  for (const char* healthy : {"quickstart_1e-4_s1", "quickstart_1e-4_s3"}) {
    at.clear();
    EXPECT_LE(off_curve_flags(healthy, &at), 2) << healthy;
  }
}

}  // namespace

}  // namespace ascent
