// Correction of the gap between the sampler's and the trainer's log-probs (docs/algorithms.md section 2c).
// The behaviour ratio of a loss token is rho_t = pi_train(y_t) / pi_gen(y_t): pi_train is the trainer's policy
// at the weights the step starts from (stop-gradient), pi_gen the actor's as it sampled (logp_gen). It holds
// both the policy lag of PipelineRL and the numeric gap between sampler and trainer. At sequence level the
// ratio is the completion's product over its loss tokens, rho_i = exp(sum_t log rho_t) (the exact sequence IS
// weight, whose spread grows with length); at geometric level their geometric mean exp(mean_t log rho_t)
// (verl's "geometric", GSPO's length-normalised ratio).
//   tis      truncated IS (Yao et al. 2025, "Your efficient RL framework secretly brings you off-policy RL
//            training"): weight min(rho, C)
//   mis      masked IS (verl's rollout_is mask mode): weight rho where 1/C <= rho <= C, else 0 (the token, or
//            the whole completion at sequence level, is dropped from the loss)
//   icepop   two-sided masking of Ring-1T (Ling team 2025, "Every step evolves", IcePop): weight rho where
//            low <= rho <= high, else 0; token level
// How the weight enters each loss is in learner/losses.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

enum class MismatchCorrection { kOff, kTis, kMis, kIcepop };
enum class MismatchLevel { kToken, kSequence, kGeometric };

struct MismatchConfig {
  MismatchCorrection correction = MismatchCorrection::kOff;
  MismatchLevel level = MismatchLevel::kToken;
  double cap = 2.0;          // C (tis, mis); verl's default threshold
  double icepop_low = 0.5;   // IcePop's alpha
  double icepop_high = 5.0;  // IcePop's beta
};

absl::StatusOr<MismatchCorrection> mismatch_correction_parse(const std::string& s);
absl::StatusOr<MismatchLevel> mismatch_level_parse(const std::string& s);
const char* mismatch_correction_name(MismatchCorrection c);
const char* mismatch_level_name(MismatchLevel l);

// Per token, the log of its level's behaviour ratio: log rho_t, or its completion's sum (sequence) or mean
// (geometric) of log rho_t over the loss tokens (coef != 0). seq_offsets: completion boundaries (size completions + 1).
std::vector<double> mismatch_log_ratios(MismatchLevel level, const std::vector<float>& logp_gen,
                                        const std::vector<float>& logp_train, const std::vector<float>& coef,
                                        const std::vector<int64_t>& seq_offsets);

enum class WeightFate { kKept, kTruncated, kMasked };

// The corrected behaviour weight for a log-ratio x (correction != off); `fate` says what was done to it.
double mismatch_weight(const MismatchConfig& cfg, double x, WeightFate* fate);

// Log-ratios binned for quantiles that add up over micro-batches and ranks (an all-reduce of counts):
// bins of width 0.005 in log rho centred on k * 0.005 for |k| <= 1600 (so on-policy tokens, log rho = 0, read
// exactly 1), and one bin each for everything below -8 and above 8.
struct RatioHistogram {
  static constexpr double kWidth = 0.005;
  static constexpr int kHalf = 1600;               // centres -8 .. 8
  static constexpr int kBins = 2 * kHalf + 1 + 2;  // + underflow and overflow
  std::vector<double> counts = std::vector<double>(kBins, 0.0);
  void add(double log_ratio);
  void merge(const RatioHistogram& o);
  double total() const;
  // The ratio (not its log) at quantile q in [0, 1]: exp of the bin's centre, within a factor exp(0.0025)
  // (0.26%); the outer bins read as exp(-8) and exp(8). 0 with no counts.
  double quantile(double q) const;
};

}  // namespace ascent
