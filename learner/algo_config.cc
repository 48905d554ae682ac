#include "learner/algo_config.h"

#include <optional>

#include "core/yaml_reader.h"

namespace ascent {

absl::StatusOr<AlgoConfig> algo_config_parse(const YAML::Node& node, const std::string& file) {
  AlgoConfig c;
  YamlReader r(node, file, "algorithm");
  std::string loss = "cispo", adv = "batch_std", agg = "prompt", zv = "filter";
  r.read("loss", &loss, {"cispo", "ppo_clip", "gspo"});
  YamlReader& cispo = r.section("cispo");
  cispo.read("eps_max", &c.loss.cispo_eps_max, 0.0, {}, /*min_exclusive=*/true);
  cispo.read_optional("eps_low_is", &c.loss.cispo_eps_low_is, 0.0);
  if (c.loss.cispo_eps_low_is && *c.loss.cispo_eps_low_is >= 1.0) cispo.fail("eps_low_is", "must be < 1");
  YamlReader& clip = r.section("clip");
  clip.read("eps_low", &c.loss.clip_eps_low, 0.0, 1.0);
  clip.read("eps_high", &c.loss.clip_eps_high, 0.0);
  YamlReader& gspo = r.section("gspo");
  gspo.read("eps_low", &c.loss.gspo_eps_low, 0.0, 1.0);
  gspo.read("eps_high", &c.loss.gspo_eps_high, 0.0);
  std::optional<double> kl_beta, old_beta;  // kl_beta: the older name of kl.beta
  r.read_optional("kl_beta", &old_beta, 0.0);
  std::string kl_est = "k3", kl_form = "loss";
  YamlReader& kl = r.section("kl");
  kl.read_optional("beta", &kl_beta, 0.0);
  if (old_beta && kl_beta) r.fail("kl_beta", "the older name of algorithm.kl.beta: give one of them");
  c.loss.kl.beta = kl_beta ? *kl_beta : old_beta.value_or(0.0);
  kl.read("estimator", &kl_est, {"k1", "k2", "k3"});
  kl.read("form", &kl_form, {"loss", "reward"});
  kl.read("reference", &c.loss.kl.reference);
  std::string corr = "off", level = "token";
  YamlReader& mm = r.section("mismatch");
  mm.read("correction", &corr, {"off", "tis", "mis", "icepop"});
  mm.read("level", &level, {"token", "sequence", "geometric"});
  mm.read("cap", &c.loss.mismatch.cap, 1.0, {}, /*min_exclusive=*/true);
  mm.read("icepop_low", &c.loss.mismatch.icepop_low, 0.0, 1.0, /*min_exclusive=*/true);
  mm.read("icepop_high", &c.loss.mismatch.icepop_high, 1.0);
  if (corr == "tis" && loss == "cispo") {
    mm.fail("correction",
            "tis with loss: cispo: CISPO's weight already is a truncated importance weight; set "
            "algorithm.cispo.eps_max to the cap instead (mis and icepop combine with cispo)");
  }
  if (corr == "icepop" && level != "token") mm.fail("level", "icepop masks tokens: use token");
  if (corr != "off" && loss == "gspo" && level == "token")
    mm.fail("level", "gspo weights whole completions: use geometric (its own ratio's form) or sequence");
  r.read("advantage", &adv, {"group_centered", "grpo", "batch_std", "dr_grpo", "leave_one_out"});
  r.read("grpo_std_eps", &c.advantage.grpo_eps, 0.0);
  r.read("aggregation", &agg, {"token", "prompt", "sample", "fixed"});
  r.read("fixed_max_tokens", &c.aggregation.fixed_max_tokens, 1, int64_t{1} << 20);
  r.read("group_size", &c.group_size, 2, 4096);
  r.read("prompts_per_step", &c.prompts_per_step, 1, 1 << 20);
  r.read("zero_variance", &zv, {"off", "filter", "resample"});
  r.read("overlong_filter", &c.aggregation.overlong_filter);
  YamlReader& ol = r.section("overlong_shaping");
  ol.read("enabled", &c.overlong_shaping);
  ol.read("max_tokens", &c.overlong_max_tokens, 1, int64_t{1} << 20);
  ol.read("cache_tokens", &c.overlong_cache_tokens, 1, int64_t{1} << 20);
  if (c.overlong_cache_tokens >= c.overlong_max_tokens) ol.fail("cache_tokens", "must be < max_tokens");
  YamlReader& npr = r.section("no_positive_resampling");
  npr.read("enabled", &c.no_positive_resampling);
  npr.read("threshold", &c.npr_threshold, 0.0, 1.0, /*min_exclusive=*/true);
  r.read("max_lag", &c.max_lag, 0, 1024);
  absl::Status st = r.finish();
  if (!st.ok()) return st;
  c.loss.kind = *loss_kind_parse(loss);
  c.loss.kl.estimator = *kl_estimator_parse(kl_est);
  c.loss.kl.form = *kl_form_parse(kl_form);
  c.loss.mismatch.correction = *mismatch_correction_parse(corr);
  c.loss.mismatch.level = *mismatch_level_parse(level);
  c.advantage.mode = *advantage_mode_parse(adv);
  c.aggregation.mode = *aggregation_mode_parse(agg);
  c.zero_variance = zv == "off"      ? ZeroVarianceMode::kOff
                    : zv == "filter" ? ZeroVarianceMode::kFilter
                                     : ZeroVarianceMode::kResample;
  return c;
}

}  // namespace ascent
