#include "rewards/reward_pipeline.h"

#include "absl/strings/str_cat.h"
#include "rewards/combine.h"

namespace ascent {

RewardPipeline::RewardPipeline(RewardsConfig cfg, RewardModelFn rm)
    : cfg_(std::move(cfg)), rm_(std::move(rm)) {
  for (const NamedPlugin& p : cfg_.plugins) plugins_.push_back(std::make_unique<PluginReward>(p.options));
  for (const NamedRemote& r : cfg_.remote) remotes_.push_back(std::make_unique<RemoteReward>(r.options));
}

absl::Status RewardPipeline::start() {
  for (size_t p = 0; p < remotes_.size(); ++p) {
    if (absl::Status st = remotes_[p]->start(); !st.ok()) {
      return absl::Status(st.code(),
                          absl::StrCat("rewards.remote \"", cfg_.remote[p].name, "\": ", st.message()));
    }
  }
  return absl::OkStatus();
}

bool RewardPipeline::correct_of(const ScoredCompletion& s) const {
  if (cfg_.verifier) {
    auto v = s.components.find("verifier");
    return v != s.components.end() && v->second.ok && v->second.value > 0.5;
  }
  if (cfg_.reward_model || cfg_.plugins.size() + cfg_.remote.size() != 1) return false;
  const std::string& name = cfg_.plugins.empty() ? cfg_.remote[0].name : cfg_.plugins[0].name;
  auto c = s.components.find(name);
  return c != s.components.end() && c->second.ok && c->second.value >= 1.0;
}

std::vector<std::vector<ScoredCompletion>> RewardPipeline::score_groups(
    const std::vector<std::vector<RewardInput>>& groups) {
  std::vector<RewardInput> flat;
  for (const auto& g : groups) flat.insert(flat.end(), g.begin(), g.end());
  std::vector<ScoredCompletion> out(flat.size());

  // Components, each over the whole batch.
  if (cfg_.verifier) {
    VerifyOptions vo;
    vo.timeout_s = cfg_.verifier_timeout_s;
    for (size_t i = 0; i < flat.size(); ++i) {
      const VerifyResult v = math_verify(flat[i].completion, flat[i].answer, vo);
      out[i].components["verifier"] = {true, v.correct ? 1.0 : 0.0, v.reason};
      out[i].extracted = v.extracted;
    }
  }
  if (cfg_.reward_model && rm_) {
    std::vector<ComponentResult> rm = rm_(flat);
    for (size_t i = 0; i < flat.size(); ++i) out[i].components["rm"] = rm[i];
  }
  for (size_t p = 0; p < plugins_.size(); ++p) {
    std::vector<ComponentResult> r = plugins_[p]->score(flat);
    for (size_t i = 0; i < flat.size(); ++i) out[i].components[cfg_.plugins[p].name] = r[i];
  }
  for (size_t p = 0; p < remotes_.size(); ++p) {
    std::vector<ComponentResult> r = remotes_[p]->score(flat);
    for (size_t i = 0; i < flat.size(); ++i) out[i].components[cfg_.remote[p].name] = r[i];
  }

  // HERO per group over the verifier and the reward model (items whose RM failed stay at their stratum's
  // centre and carry the error).
  if (cfg_.hero) {
    std::vector<std::vector<int>> verdicts;
    std::vector<std::vector<double>> scores;
    std::vector<std::vector<size_t>> index;
    size_t at = 0;
    for (const auto& g : groups) {
      verdicts.emplace_back(), scores.emplace_back(), index.emplace_back();
      for (size_t k = 0; k < g.size(); ++k, ++at) {
        const ComponentResult& rm = out[at].components["rm"];
        if (!rm.ok) continue;
        verdicts.back().push_back(out[at].components["verifier"].value > 0.5);
        scores.back().push_back(rm.value);
        index.back().push_back(at);
      }
    }
    const std::vector<HeroGroup> hg = hero_step(*cfg_.hero, &hero_state_, verdicts, scores);
    at = 0;
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      for (size_t k = 0; k < groups[gi].size(); ++k, ++at) {
        out[at].group_weight = hg[gi].weight;
        out[at].has_group_sigma = true;
        out[at].group_sigma = hg[gi].sigma;
        out[at].components["hero"] = {true, out[at].components["verifier"].value,
                                      "stratum centre (no RM score)"};
      }
      for (size_t k = 0; k < index[gi].size(); ++k) {
        out[index[gi][k]].components["hero"] = {
            true, hg[gi].reward[k], absl::StrCat("sigma_u ", hg[gi].sigma, ", w ", hg[gi].weight)};
      }
    }
  }

  // Weighted sum.
  std::vector<WeightedComponent> parts;
  if (cfg_.hero) {
    parts.push_back({"hero", 1.0});
  } else {
    if (cfg_.verifier) parts.push_back({"verifier", cfg_.verifier_weight});
    if (cfg_.reward_model) parts.push_back({"rm", cfg_.reward_model->weight});
  }
  for (const NamedPlugin& p : cfg_.plugins) parts.push_back({p.name, p.weight});
  for (const NamedRemote& r : cfg_.remote) parts.push_back({r.name, r.weight});
  for (ScoredCompletion& s : out) {
    std::map<std::string, double> values;
    for (const WeightedComponent& p : parts) {
      const ComponentResult& c = s.components[p.name];
      double v = c.value;
      if (p.name == "verifier" && cfg_.plus_minus_one) {
        v = reward_map_verdict(v, VerdictMapping::kPlusMinusOne);
      }
      if (!c.ok) {
        counters_[absl::StrCat("reward/errors/", p.name)] += 1;
        absl::StrAppend(&s.error, s.error.empty() ? "" : "; ", p.name, ": ", c.reason);
        v = 0;
      }
      values[p.name] = v;
    }
    absl::StatusOr<double> sum = reward_weighted_sum(parts, values);
    s.reward = sum.ok() ? *sum : 0;
    s.ok = s.error.empty() || cfg_.on_error == OnRewardError::kZero;
    counters_[s.ok ? "reward/scored" : "reward/dropped"] += 1;
    s.correct = correct_of(s);
  }

  std::vector<std::vector<ScoredCompletion>> grouped;
  size_t at = 0;
  for (const auto& g : groups) {
    grouped.emplace_back(out.begin() + static_cast<long>(at), out.begin() + static_cast<long>(at + g.size()));
    at += g.size();
  }
  return grouped;
}

}  // namespace ascent
