#include "learner/advantages.h"

#include <cmath>

namespace ascent {

absl::StatusOr<AdvantageMode> advantage_mode_parse(const std::string& s) {
  if (s == "group_centered") return AdvantageMode::kGroupCentered;
  if (s == "grpo") return AdvantageMode::kGrpo;
  if (s == "batch_std") return AdvantageMode::kBatchStd;
  if (s == "dr_grpo") return AdvantageMode::kDrGrpo;
  if (s == "leave_one_out") return AdvantageMode::kLeaveOneOut;
  return absl::InvalidArgumentError("unknown advantage mode '" + s + "'");
}

namespace {
double bessel_std(const std::vector<double>& x, double mean) {
  if (x.size() < 2) return 0.0;
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}
}  // namespace

std::vector<std::vector<double>> advantages_compute(const RolloutBatch& batch, const AdvantageConfig& cfg) {
  std::vector<std::vector<double>> out(batch.groups.size());
  std::vector<double> all_centred;
  for (size_t g = 0; g < batch.groups.size(); ++g) {
    const auto& comps = batch.groups[g].completions;
    const double n = static_cast<double>(comps.size());
    double sum = 0.0;
    for (const auto& c : comps) sum += c.reward;
    const double mean = comps.empty() ? 0.0 : sum / n;
    auto& a = out[g];
    a.resize(comps.size());
    for (size_t i = 0; i < comps.size(); ++i) {
      if (cfg.mode == AdvantageMode::kLeaveOneOut) {
        a[i] = n > 1 ? comps[i].reward - (sum - comps[i].reward) / (n - 1) : 0.0;
      } else {
        a[i] = comps[i].reward - mean;
      }
    }
    if (cfg.mode == AdvantageMode::kGrpo) {
      std::vector<double> r;
      for (const auto& c : comps) r.push_back(c.reward);
      const double s = bessel_std(r, mean);
      for (double& v : a) v /= s + cfg.grpo_eps;
    }
    if (cfg.mode == AdvantageMode::kBatchStd) all_centred.insert(all_centred.end(), a.begin(), a.end());
  }
  if (cfg.mode == AdvantageMode::kBatchStd) {
    double mean = 0.0;
    for (double v : all_centred) mean += v;
    mean = all_centred.empty() ? 0.0 : mean / static_cast<double>(all_centred.size());
    const double s = bessel_std(all_centred, mean);
    for (auto& a : out) {
      for (double& v : a) v = s > 0.0 ? v / s : 0.0;
    }
  }
  for (size_t g = 0; g < batch.groups.size(); ++g) {
    for (double& v : out[g]) v *= batch.groups[g].weight;
  }
  return out;
}

}  // namespace ascent
