// `ascent fit RUN... [--x gpu_hours|step|tokens|COLUMN] [--y METRIC] [--c-min X|auto] [--predict C] [--compare]
//                    [--json FILE] [--plot FILE.svg]`
// Fits the sigmoid compute-performance law to each run, prints a table with its intervals, and with
// --compare applies ScaleRL's rule to every pair. RUN is "[label=]file[,file...]": several files are seeds of
// one recipe, fitted together.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "curve_fit/fit_json.h"
#include "curve_fit/plot_svg.h"

namespace ascent {

namespace {

void print_table(const std::vector<RunFit>& runs, const FitContext& ctx, const FitOptions& opt) {
  std::printf("law: R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B)   x = %s   y = %s   c_min = %g%s\n",
              ctx.x.c_str(), ctx.y.c_str(), ctx.c_min,
              opt.fit_r0 ? "   R0 fitted" : "   R0 = measured start");
  std::printf("%-16s %6s  %-22s %-19s %-28s %-7s R(%s)\n", "run", "points", "A", "B", "C_mid", "R0",
              absl::StrFormat("%.6g", ctx.predict_c).c_str());
  for (const RunFit& r : runs) {
    const FitReport& rep = r.report;
    std::string pred = "-";
    if (!rep.predictions.empty()) {
      pred = rep.unpinned[0].empty()
                 ? interval_text(rep.predictions[0], 'f', 3)
                 : absl::StrFormat("not pinned [%.3f, %.3f]", rep.predictions[0].lo, rep.predictions[0].hi);
    }
    std::printf("%-16s %6d  %-22s %-19s %-28s %-7.3f %s\n", r.data.label.c_str(), rep.fit.n_points,
                interval_text(rep.A, 'f', 3).c_str(), interval_text(rep.B, 'f', 2).c_str(),
                interval_text(rep.C_mid, 'g', 4).c_str(), rep.R0.value, pred.c_str());
  }
  if (!runs.empty()) {
    std::printf(
        "intervals: %.0f%%; A and the prediction: the hull of profile likelihood and bootstrap (%d "
        "resamples%s), B and C_mid: bootstrap; run-to-run noise on A (ScaleRL): +-%.2f\n",
        100 * runs[0].report.level, static_cast<int>(runs[0].report.draws.size()),
        runs[0].report.runs > 1 ? " over runs and points" : " over points", runs[0].report.a_run_to_run);
  }
  for (const RunFit& r : runs) {
    const FitReport& rep = r.report;
    if (rep.predictions.empty()) continue;
    if (!rep.unpinned[0].empty()) {
      std::printf("%s: no prediction at C = %.6g: %s\n", r.data.label.c_str(), ctx.predict_c,
                  rep.unpinned[0].c_str());
    } else {
      std::printf("%s: one validation at C = %.6g will read %s (noise sd %.3g, %s)\n", r.data.label.c_str(),
                  ctx.predict_c, interval_text(rep.predictions_one[0], 'f', 3).c_str(),
                  std::sqrt(rep.noise.sigma2), rep.noise.source.c_str());
    }
  }
  for (const RunFit& r : runs) {
    if (r.has_power) {
      std::printf("%s: power law R = A - D / C^B gives A = %.3f, B = %.3f (sse %.4g vs sigmoid %.4g)\n",
                  r.data.label.c_str(), r.power.p.A, r.power.p.B, r.power.sse, r.report.fit.sse);
    }
  }
}

absl::Status write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  if (!f) return absl::InvalidArgumentError(path + ": cannot open for writing");
  f << text;
  f.close();
  if (!f) return absl::InvalidArgumentError(path + ": write failed");
  return absl::OkStatus();
}

}  // namespace

void cli_add_fit(CLI::App& app) {
  struct Opts {
    std::vector<std::string> runs;
    std::string x = "gpu_hours", y = "val/pass_rate", json, plot, grid = "coarse";
    std::string c_min = "0";
    double predict = 0, level = 0.95, samples = 0, max_width = 0.2;
    int resamples = 1000;
    uint64_t seed = 1;
    bool compare = false, fit_r0 = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("fit", "Fit the sigmoid compute-performance law to runs, predict, compare");
  cmd->add_option("runs", o->runs, "[label=]file[,file...]: metrics.jsonl or CSV; several files = seeds")
      ->required();
  cmd->add_option("--x", o->x, "compute column: gpu_hours, step, tokens or any column")
      ->capture_default_str();
  cmd->add_option("--y", o->y, "performance column")->capture_default_str();
  cmd->add_option("--c-min", o->c_min,
                  "leave out points with compute below this; auto: 0.2 x the largest compute (ScaleRL)")
      ->capture_default_str();
  cmd->add_option("--samples", o->samples,
                  "Bernoulli samples behind each point (prompts x k) where the file has no val/samples");
  cmd->add_option("--max-width", o->max_width, "decline a prediction whose interval is wider than this")
      ->capture_default_str();
  cmd->add_option("--predict", o->predict, "compute to predict R at (default: 2x the largest compute seen)");
  cmd->add_flag("--compare", o->compare, "apply ScaleRL's comparison rule to every pair of runs");
  cmd->add_option("--json", o->json, "write the fit as JSON");
  cmd->add_option("--plot", o->plot, "write an SVG plot (and FILE.html beside it)");
  cmd->add_option("--resamples", o->resamples, "bootstrap resamples")->capture_default_str();
  cmd->add_option("--level", o->level, "interval level")->capture_default_str();
  cmd->add_option("--seed", o->seed, "bootstrap seed")->capture_default_str();
  cmd->add_flag("--fit-r0", o->fit_r0, "fit R0 instead of holding it at the first measurement");
  cmd->add_option("--grid", o->grid, "starting grid: coarse, or scalerl (ScaleRL's published grid)")
      ->check(CLI::IsMember({"coarse", "scalerl"}))
      ->capture_default_str();
  cmd->callback([o] {
    if (o->compare && o->runs.size() < 2) std::exit(cli_fail("fit", "--compare needs at least two runs"));
    if (o->level <= 0 || o->level >= 1) std::exit(cli_fail("fit", "--level must be in (0, 1)"));
    FitContext ctx;
    ctx.x = o->x, ctx.y = o->y;
    double c_min_value = 0;
    if (o->c_min != "auto" && !absl::SimpleAtod(o->c_min, &c_min_value)) {
      std::exit(cli_fail("fit", "--c-min is a compute or auto, not '" + o->c_min + "'"));
    }
    std::vector<RunData> datas;
    double cmax = 0;
    for (const std::string& spec : o->runs) {
      absl::StatusOr<RunData> d = run_read(spec, o->x, o->y);
      if (!d.ok()) std::exit(cli_fail("fit", std::string(d.status().message())));
      for (Points& p : d->seeds) {
        for (double c : p.C) cmax = std::max(cmax, c);
        if (o->samples > 0 && p.N.empty()) p.N.assign(p.R.size(), o->samples);
      }
      datas.push_back(std::move(*d));
    }
    ctx.predict_c = o->predict > 0 ? o->predict : 2 * cmax;
    ctx.c_min = o->c_min == "auto" ? kCMinFraction * cmax : c_min_value;
    FitOptions opt;
    opt.c_min = ctx.c_min, opt.fit_r0 = o->fit_r0;
    if (o->grid == "scalerl") opt.grid = grid_spec_scalerl();
    BootstrapOptions bopt;
    bopt.resamples = o->resamples, bopt.level = o->level, bopt.seed = o->seed,
    bopt.predict_at = {ctx.predict_c};
    bopt.max_prediction_width = o->max_width;
    std::vector<RunFit> runs;
    for (RunData& d : datas) {
      absl::StatusOr<RunFit> rf = run_fit(std::move(d), opt, bopt);
      if (!rf.ok()) std::exit(cli_fail("fit", std::string(rf.status().message())));
      for (const std::string& w : rf->data.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
      for (const std::string& w : rf->report.fit.warnings) {
        std::fprintf(stderr, "warning: %s: %s\n", rf->data.label.c_str(), w.c_str());
      }
      runs.push_back(std::move(*rf));
    }
    print_table(runs, ctx, opt);
    std::vector<Comparison> comparisons;
    if (o->compare) {
      comparisons = run_compare_all(runs, opt);
      for (const Comparison& c : comparisons) std::printf("verdict: %s\n", c.result.verdict.c_str());
    }
    if (!o->json.empty()) {
      absl::Status st = write_text(o->json, fit_json(runs, comparisons, ctx).dump(2) + "\n");
      if (!st.ok()) std::exit(cli_fail("fit", std::string(st.message())));
    }
    if (!o->plot.empty()) {
      const std::string svg = plot_svg(runs, ctx);
      std::string html_path = o->plot;
      if (html_path.size() > 4 && html_path.substr(html_path.size() - 4) == ".svg")
        html_path.resize(html_path.size() - 4);
      html_path += ".html";
      for (auto [path, text] :
           {std::pair{o->plot, svg}, std::pair{html_path, plot_html(svg, runs, comparisons, ctx)}}) {
        absl::Status st = write_text(path, text);
        if (!st.ok()) std::exit(cli_fail("fit", std::string(st.message())));
      }
      std::printf("plot: %s, %s\n", o->plot.c_str(), html_path.c_str());
    }
  });
}

}  // namespace ascent
