#include "generation/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace ascent {

Sample sampler_sample(const float* logits, int64_t V, const SamplerConfig& cfg, Rng& rng) {
  if (cfg.temperature <= 0.0f) {
    int64_t best = std::max_element(logits, logits + V) - logits;
    return {static_cast<int32_t>(best), 0.0f};  // a point mass: log-prob 0
  }
  const float inv_t = 1.0f / cfg.temperature;
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < V; ++j) mx = std::max(mx, logits[j] * inv_t);
  const bool filtered = (cfg.top_k > 0 && cfg.top_k < V) || cfg.top_p < 1.0f;
  if (!filtered) {
    double sum = 0.0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(logits[j] * inv_t - mx);
    const double lse = mx + std::log(sum);
    double u = rng.next_uniform() * sum, acc = 0.0;
    int64_t tok = V - 1;
    for (int64_t j = 0; j < V; ++j) {
      acc += std::exp(logits[j] * inv_t - mx);
      if (u < acc) {
        tok = j;
        break;
      }
    }
    return {static_cast<int32_t>(tok), static_cast<float>(logits[tok] * inv_t - lse)};
  }
  // Candidates sorted by logit (ties by id, so the order is deterministic), cut by top-k then top-p.
  std::vector<int32_t> idx(static_cast<size_t>(V));
  std::iota(idx.begin(), idx.end(), 0);
  int64_t keep = cfg.top_k > 0 ? std::min<int64_t>(cfg.top_k, V) : V;
  auto cmp = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(), cmp);
  std::vector<double> p(static_cast<size_t>(keep));
  double sum = 0.0;
  for (int64_t i = 0; i < keep; ++i) sum += (p[i] = std::exp(logits[idx[i]] * inv_t - mx));
  if (cfg.top_p < 1.0f) {
    double acc = 0.0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      acc += p[i] / sum;
      if (acc >= cfg.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    sum = 0.0;
    for (int64_t i = 0; i < keep; ++i) sum += p[i];
  }
  double u = rng.next_uniform() * sum, acc = 0.0;
  int64_t pick = keep - 1;
  for (int64_t i = 0; i < keep; ++i) {
    acc += p[i];
    if (u < acc) {
      pick = i;
      break;
    }
  }
  return {idx[pick], static_cast<float>(std::log(p[pick] / sum))};
}

}  // namespace ascent
