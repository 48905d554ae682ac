#include "learner/mismatch.h"

#include <algorithm>
#include <cmath>

namespace ascent {

absl::StatusOr<MismatchCorrection> mismatch_correction_parse(const std::string& s) {
  if (s == "off") return MismatchCorrection::kOff;
  if (s == "tis") return MismatchCorrection::kTis;
  if (s == "mis") return MismatchCorrection::kMis;
  if (s == "icepop") return MismatchCorrection::kIcepop;
  return absl::InvalidArgumentError("unknown mismatch correction '" + s + "'");
}

absl::StatusOr<MismatchLevel> mismatch_level_parse(const std::string& s) {
  if (s == "token") return MismatchLevel::kToken;
  if (s == "sequence") return MismatchLevel::kSequence;
  if (s == "geometric") return MismatchLevel::kGeometric;
  return absl::InvalidArgumentError("unknown mismatch level '" + s + "'");
}

const char* mismatch_correction_name(MismatchCorrection c) {
  switch (c) {
    case MismatchCorrection::kOff:
      return "off";
    case MismatchCorrection::kTis:
      return "tis";
    case MismatchCorrection::kMis:
      return "mis";
    case MismatchCorrection::kIcepop:
      break;
  }
  return "icepop";
}

const char* mismatch_level_name(MismatchLevel l) {
  switch (l) {
    case MismatchLevel::kToken:
      return "token";
    case MismatchLevel::kSequence:
      return "sequence";
    case MismatchLevel::kGeometric:
      break;
  }
  return "geometric";
}

std::vector<double> mismatch_log_ratios(MismatchLevel level, const std::vector<float>& logp_gen,
                                        const std::vector<float>& logp_train, const std::vector<float>& coef,
                                        const std::vector<int64_t>& seq_offsets) {
  std::vector<double> x(logp_gen.size());
  for (size_t t = 0; t < x.size(); ++t) x[t] = static_cast<double>(logp_train[t]) - logp_gen[t];
  if (level == MismatchLevel::kToken) return x;
  for (size_t s = 0; s + 1 < seq_offsets.size(); ++s) {
    double sum = 0.0;
    int64_t n = 0;
    for (int64_t t = seq_offsets[s]; t < seq_offsets[s + 1]; ++t)
      if (coef[t] != 0.0f) sum += x[t], ++n;
    if (level == MismatchLevel::kGeometric && n > 0) sum /= static_cast<double>(n);
    for (int64_t t = seq_offsets[s]; t < seq_offsets[s + 1]; ++t) x[t] = sum;
  }
  return x;
}

double mismatch_weight(const MismatchConfig& cfg, double x, WeightFate* fate) {
  *fate = WeightFate::kKept;
  double lo = 0, hi = 0;
  switch (cfg.correction) {
    case MismatchCorrection::kOff:
      return 1.0;
    case MismatchCorrection::kTis:
      if (x > std::log(cfg.cap)) {
        *fate = WeightFate::kTruncated;
        return cfg.cap;
      }
      return std::exp(x);
    case MismatchCorrection::kMis:
      lo = -std::log(cfg.cap), hi = std::log(cfg.cap);
      break;
    case MismatchCorrection::kIcepop:
      lo = std::log(cfg.icepop_low), hi = std::log(cfg.icepop_high);
      break;
  }
  if (x < lo || x > hi) {
    *fate = WeightFate::kMasked;
    return 0.0;
  }
  return std::exp(x);
}

void RatioHistogram::add(double log_ratio) {
  const double k = std::round(log_ratio / kWidth);  // NaN compares false both ways: the overflow bin
  int b = kBins - 1;
  if (k < -kHalf) {
    b = 0;
  } else if (k <= kHalf) {
    b = 1 + kHalf + static_cast<int>(k);
  }
  counts[static_cast<size_t>(b)] += 1.0;
}

void RatioHistogram::merge(const RatioHistogram& o) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
}

double RatioHistogram::total() const {
  double n = 0;
  for (double c : counts) n += c;
  return n;
}

double RatioHistogram::quantile(double q) const {
  const double n = total();
  if (n <= 0) return 0.0;
  // The smallest bin whose cumulative count reaches ceil(q n) (at least the first sample).
  const double want = std::max(1.0, std::ceil(q * n));
  double cum = 0;
  for (int b = 0; b < kBins; ++b) {
    cum += counts[static_cast<size_t>(b)];
    if (cum < want) continue;
    const int k = std::clamp(b - 1 - kHalf, -kHalf, kHalf);  // the outer bins read as the last centres
    return std::exp(k * kWidth);
  }
  return std::exp(kHalf * kWidth);
}

}  // namespace ascent
