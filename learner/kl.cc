#include "learner/kl.h"

#include <algorithm>
#include <cmath>

namespace ascent {

absl::StatusOr<KlEstimator> kl_estimator_parse(const std::string& s) {
  if (s == "k1") return KlEstimator::kK1;
  if (s == "k2") return KlEstimator::kK2;
  if (s == "k3") return KlEstimator::kK3;
  return absl::InvalidArgumentError("unknown KL estimator '" + s + "'");
}

absl::StatusOr<KlForm> kl_form_parse(const std::string& s) {
  if (s == "loss") return KlForm::kLoss;
  if (s == "reward") return KlForm::kReward;
  return absl::InvalidArgumentError("unknown KL form '" + s + "'");
}

const char* kl_estimator_name(KlEstimator e) {
  switch (e) {
    case KlEstimator::kK1:
      return "k1";
    case KlEstimator::kK2:
      return "k2";
    case KlEstimator::kK3:
      break;
  }
  return "k3";
}

const char* kl_form_name(KlForm f) {
  return f == KlForm::kLoss ? "loss" : "reward";
}

double kl_value(KlEstimator e, double logp, double logp_ref) {
  const double d = std::clamp(logp_ref - logp, -kKlMaxLogRatio, kKlMaxLogRatio);
  switch (e) {
    case KlEstimator::kK1:
      return -d;
    case KlEstimator::kK2:
      return 0.5 * d * d;
    case KlEstimator::kK3:
      break;
  }
  return std::expm1(d) - d;
}

double kl_grad(KlEstimator e, double logp, double logp_ref) {
  const double d = logp_ref - logp;
  if (d < -kKlMaxLogRatio || d > kKlMaxLogRatio) return 0.0;  // the clamped value is constant there
  switch (e) {
    case KlEstimator::kK1:
      return 1.0;
    case KlEstimator::kK2:
      return -d;
    case KlEstimator::kK3:
      break;
  }
  return -std::expm1(d);
}

}  // namespace ascent
