#include "rewards/hero.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ascent {

std::vector<double> hero_normalise(const HeroConfig& cfg, const std::vector<int>& verifier,
                                   const std::vector<double>& rm) {
  std::vector<double> out(rm.size());
  for (int stratum : {0, 1}) {
    double lo = INFINITY, hi = -INFINITY;
    int n = 0;
    for (size_t i = 0; i < rm.size(); ++i) {
      if ((verifier[i] != 0) == (stratum == 1)) lo = std::min(lo, rm[i]), hi = std::max(hi, rm[i]), ++n;
    }
    if (n == 0) continue;
    const double half = stratum == 0 ? cfg.alpha : cfg.beta;
    const double base = stratum == 0 ? -cfg.alpha : 1 - cfg.beta;
    const double centre = stratum == 0 ? 0.0 : 1.0;
    for (size_t i = 0; i < rm.size(); ++i) {
      if ((verifier[i] != 0) != (stratum == 1)) continue;
      // max = min (one response, or all equal): the stratum's centre, as the spec says for a stratum of one.
      out[i] = hi == lo ? centre : base + 2 * half * (rm[i] - lo) / (hi - lo + cfg.eps);
    }
  }
  return out;
}

double hero_sigma(const std::vector<double>& rm) {
  if (rm.size() < 2) return 0;
  double mean = 0;
  for (double x : rm) mean += x;
  mean /= static_cast<double>(rm.size());
  double ss = 0;
  for (double x : rm) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(rm.size() - 1));
}

double hero_weight(const HeroConfig& cfg, double sigma_u, double sigma_bar) {
  if (!cfg.weighting) return 1.0;
  return cfg.w_min + (cfg.w_max - cfg.w_min) / (1 + std::exp(-cfg.k * (sigma_u - sigma_bar)));
}

std::vector<double> hero_weights_update(const HeroConfig& cfg, HeroState* state,
                                        const std::vector<double>& sigma) {
  for (double s : sigma) {
    state->groups += 1;
    state->sigma_bar += (s - state->sigma_bar) / static_cast<double>(state->groups);
  }
  std::vector<double> w;
  for (double s : sigma) w.push_back(hero_weight(cfg, s, state->sigma_bar));
  return w;
}

std::vector<HeroGroup> hero_step(const HeroConfig& cfg, HeroState* state,
                                 const std::vector<std::vector<int>>& verifier,
                                 const std::vector<std::vector<double>>& rm) {
  std::vector<HeroGroup> out(rm.size());
  std::vector<double> sigma;
  for (size_t g = 0; g < rm.size(); ++g) sigma.push_back(out[g].sigma = hero_sigma(rm[g]));
  const std::vector<double> w = hero_weights_update(cfg, state, sigma);
  for (size_t g = 0; g < rm.size(); ++g) {
    out[g].reward = hero_normalise(cfg, verifier[g], rm[g]);
    out[g].weight = w[g];
  }
  return out;
}

nlohmann::json hero_state_to_json(const HeroState& s) {
  return {{"sigma_bar", s.sigma_bar}, {"groups", s.groups}};
}

absl::StatusOr<HeroState> hero_state_from_json(const nlohmann::json& j, const std::string& where) {
  HeroState s;
  if (!j.is_object() || !j.contains("sigma_bar") || !j.contains("groups") || !j["sigma_bar"].is_number() ||
      !j["groups"].is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": HERO state must be {\"sigma_bar\": number, \"groups\": integer}, got ", j.dump()));
  }
  s.sigma_bar = j["sigma_bar"].get<double>();
  s.groups = j["groups"].get<int64_t>();
  if (!std::isfinite(s.sigma_bar) || s.sigma_bar < 0 || s.groups < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": HERO state out of range: ", j.dump()));
  }
  return s;
}

}  // namespace ascent
