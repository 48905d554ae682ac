#include "curve_fit/fit_json.h"

#include <cmath>

namespace ascent {

namespace {

nlohmann::json interval_json(const Interval& iv) {
  return {{"value", iv.value}, {"lo", iv.lo}, {"hi", iv.hi}};
}

nlohmann::json run_json(const RunFit& rf, const FitContext& ctx) {
  const FitReport& r = rf.report;
  nlohmann::json j;
  j["label"] = rf.data.label;
  j["files"] = rf.data.files;
  j["n_points"] = r.fit.n_points;
  j["fit"] = {{"A", interval_json(r.A)},     {"B", interval_json(r.B)}, {"C_mid", interval_json(r.C_mid)},
              {"R0", interval_json(r.R0)},   {"sse", r.fit.sse},        {"level", r.level},
              {"resamples", r.draws.size()}, {"runs", r.runs},          {"a_run_to_run", r.a_run_to_run}};
  j["noise"] = {{"sigma", std::sqrt(r.noise.sigma2)},
                {"dof", r.noise.dof},
                {"binomial", r.noise.binomial},
                {"critical", r.noise.critical},
                {"source", r.noise.source}};
  if (!r.predictions.empty()) {
    j["prediction"] = {{"C", ctx.predict_c},
                       {"value", r.predictions[0].value},
                       {"lo", r.predictions[0].lo},
                       {"hi", r.predictions[0].hi},
                       {"one_validation", {{"lo", r.predictions_one[0].lo}, {"hi", r.predictions_one[0].hi}}},
                       {"pinned", r.unpinned[0].empty()},
                       {"why_not", r.unpinned[0]}};
  }
  if (rf.has_power) {
    j["power_law"] = {{"A", rf.power.p.A}, {"D", rf.power.p.D}, {"B", rf.power.p.B}, {"sse", rf.power.sse}};
  }
  std::vector<std::string> warnings = rf.data.warnings;
  warnings.insert(warnings.end(), r.fit.warnings.begin(), r.fit.warnings.end());
  j["warnings"] = warnings;
  return j;
}

}  // namespace

nlohmann::json fit_json(const std::vector<RunFit>& runs, const std::vector<Comparison>& comparisons,
                        const FitContext& ctx) {
  nlohmann::json j;
  j["law"] = "R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B)";
  j["x"] = ctx.x;
  j["y"] = ctx.y;
  j["c_min"] = ctx.c_min;
  j["runs"] = nlohmann::json::array();
  for (const RunFit& rf : runs) j["runs"].push_back(run_json(rf, ctx));
  if (runs.size() == 1) {
    for (const char* k : {"label", "fit", "noise", "prediction", "warnings"}) {
      if (j["runs"][0].contains(k)) j[k] = j["runs"][0][k];
    }
  }
  j["comparisons"] = nlohmann::json::array();
  for (const Comparison& c : comparisons) {
    nlohmann::json cj = {{"first", c.first},
                         {"second", c.second},
                         {"winner", c.result.winner},
                         {"verdict", c.result.verdict},
                         {"tie_on_a", c.result.tie_on_a}};
    if (c.result.tie_on_a) {
      cj["shared_A"] = c.result.shared_a;
      cj["B_first"] = c.result.b_first;
      cj["B_second"] = c.result.b_second;
    }
    j["comparisons"].push_back(cj);
  }
  return j;
}

}  // namespace ascent
