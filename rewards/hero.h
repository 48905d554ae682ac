// HERO hybrid reward (docs/algorithms.md section 6): a verifier's 0/1 verdict refined by a reward model's
// score.
//  - Stratified normalisation inside each group: min/max of the RM scores are taken within each verifier
//    stratum, so an RM can reorder answers of equal correctness but never lift a wrong one above a right one:
//      r_rule = 0: rhat = -alpha + 2 alpha (r_RM - min) / (max - min + eps)        in [-alpha, alpha]
//      r_rule = 1: rhat = (1 - beta) + 2 beta (r_RM - min) / (max - min + eps)     in [1 - beta, 1 + beta]
//    A stratum of one response (max = min) maps to the stratum's centre (0 or 1).
//  - Variance-aware weighting: sigma_u = std of the group's RM scores (Bessel-corrected, as torch.std and as
//    learner/advantages.h; 0 for a group of one), sigma_bar = running mean of sigma_u over training,
//      w = w_min + (w_max - w_min) / (1 + exp(-k (sigma_u - sigma_bar))).
//    w is constant inside a group; the learner applies it as A_i = w_u * centred_i / s (PromptGroup::weight,
//    see docs/learner.md), so it acts under every advantage mode instead of cancelling under GRPO's std.
// Defaults: alpha = beta = 0.1 (mixed or hard data; 0.05 for easy-to-verify), eps 1e-6, and the weighting of
// the paper's run configuration (appendix): w_min 0.4, w_max 3.0, k 6 (the main text says 0.5 / 2.0 / 5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

struct HeroConfig {
  double alpha = 0.1, beta = 0.1, eps = 1e-6;
  bool weighting = true;
  double w_min = 0.4, w_max = 3.0, k = 6.0;
};

// The running mean of sigma_u over every prompt group seen in training. Saved in checkpoints.
struct HeroState {
  double sigma_bar = 0;
  int64_t groups = 0;
};

struct HeroGroup {
  std::vector<double> reward;  // rhat per response (the weight is not folded in: see `weight`)
  double sigma = 0;            // sigma_u
  double weight = 1;           // w(sigma_u); 1 when weighting is off
};

// Stratified normalisation of one group. verifier[i] is 0 or 1; rm[i] the RM score (finite).
std::vector<double> hero_normalise(const HeroConfig& cfg, const std::vector<int>& verifier,
                                   const std::vector<double>& rm);
// Bessel-corrected standard deviation (0 for fewer than two values).
double hero_sigma(const std::vector<double>& rm);
double hero_weight(const HeroConfig& cfg, double sigma_u, double sigma_bar);

// A training step's groups: sigma_bar is first updated with this step's sigma_u of every group (so the first
// step is weighted around its own mean, not around 0), then each group is normalised and weighted.
std::vector<HeroGroup> hero_step(const HeroConfig& cfg, HeroState* state,
                                 const std::vector<std::vector<int>>& verifier,
                                 const std::vector<std::vector<double>>& rm);

// The weighting half of hero_step, from the groups' sigma_u (the learner's side: actors send sigma_u, the
// learner keeps sigma_bar in its checkpoints): sigma_bar updated with every sigma first, then w per group.
std::vector<double> hero_weights_update(const HeroConfig& cfg, HeroState* state,
                                        const std::vector<double>& sigma);

nlohmann::json hero_state_to_json(const HeroState& s);
absl::StatusOr<HeroState> hero_state_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace ascent
