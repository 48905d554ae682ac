#include "model/loss.h"

#include "core/status.h"

namespace ascent {

double loss_sft(const std::vector<float>& logp, const std::vector<float>& mask, std::vector<float>* dlogp) {
  ASCENT_CHECK(mask.empty() || mask.size() == logp.size(), "mask must match logp");
  double count = 0.0, sum = 0.0;
  for (size_t i = 0; i < logp.size(); ++i) {
    const double w = mask.empty() ? 1.0 : mask[i];
    count += w;
    sum += w * logp[i];
  }
  dlogp->assign(logp.size(), 0.0f);
  if (count == 0.0) return 0.0;
  for (size_t i = 0; i < logp.size(); ++i)
    (*dlogp)[i] = static_cast<float>(-(mask.empty() ? 1.0 : mask[i]) / count);
  return -sum / count;
}

double loss_weighted_logprob(const std::vector<float>& logp, const std::vector<float>& weights,
                             std::vector<float>* dlogp) {
  ASCENT_CHECK(weights.size() == logp.size(), "one weight per token");
  double loss = 0.0;
  dlogp->resize(logp.size());
  for (size_t i = 0; i < logp.size(); ++i) {
    loss -= static_cast<double>(weights[i]) * logp[i];
    (*dlogp)[i] = -weights[i];
  }
  return loss;
}

}  // namespace ascent
