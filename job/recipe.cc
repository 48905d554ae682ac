#include "job/recipe.h"

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/run_dir.h"
#include "core/yaml_reader.h"
#include "generation/generation_config.h"
#include "job/cluster_config.h"
#include "learner/algo_config.h"
#include "model/backend.h"
#include "model/lora.h"
#include "nlohmann/json.hpp"
#include "rewards/rewards_config.h"

namespace ascent {

namespace {

// A plugin's config (JSON) as YAML that reads back to the same JSON: strings quoted, so "123" or "true"
// stay strings.
void emit_json(YAML::Emitter& e, const nlohmann::json& j) {
  if (j.is_object()) {
    e << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      e << YAML::Key << YAML::DoubleQuoted << it.key() << YAML::Value;
      emit_json(e, it.value());
    }
    e << YAML::EndMap;
  } else if (j.is_array()) {
    e << YAML::BeginSeq;
    for (const nlohmann::json& x : j) emit_json(e, x);
    e << YAML::EndSeq;
  } else if (j.is_string()) {
    e << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_null()) {
    e << YAML::Null;
  } else if (j.is_boolean()) {
    e << j.get<bool>();
  } else if (j.is_number_integer()) {
    e << j.get<int64_t>();
  } else {
    e << j.get<double>();
  }
}

// A path of the recipe, relative to its directory, made absolute: the same run reads the same paths from
// whichever directory it is started (a resume compares them: learner/learner_run.cc).
bool ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string relative_to(const std::string& dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return std::filesystem::absolute(std::filesystem::path(dir) / path).lexically_normal().string();
}

YAML::Node child(const YAML::Node& root, const char* key) {
  return root.IsMap() ? root[key] : YAML::Node();
}

// Whether rewards.remote has an entry called `name` (run.validation.scorer names one).
bool remote_named(const YAML::Node& rewards, const std::string& name) {
  // yaml-cpp: a missing key of a const node is an invalid node, and asking it anything but IsDefined throws.
  if (!rewards.IsDefined() || !rewards.IsMap()) return false;
  const YAML::Node remote = rewards["remote"];
  for (size_t i = 0; remote.IsDefined() && remote.IsSequence() && i < remote.size(); ++i) {
    const YAML::Node n = remote[i].IsMap() ? remote[i]["name"] : YAML::Node();
    if (n.IsDefined() && n.IsScalar() && n.as<std::string>() == name) return true;
  }
  return false;
}

// model.lora (model/lora.h): errors name the file, the line and the key.
absl::StatusOr<LoraConfig> lora_config_parse(const YAML::Node& node, const std::string& file) {
  LoraConfig c;
  YamlReader r(node, file, "model.lora");
  r.read("rank", &c.rank, 1, 4096);
  r.read("alpha", &c.alpha, 0.0, {}, /*min_exclusive=*/true);
  r.read("rslora", &c.rslora);
  double dropout = 0;
  r.read("dropout", &dropout, 0.0, 1.0);
  if (dropout > 0) {
    r.fail("dropout",
           "must be 0: ascent trains LoRA through the merged weight, and the learner's log-probs must be the "
           "sampler's policy (docs/algorithms.md 2d)");
  }
  const YAML::Node tm = r.read_raw("target_modules");
  const std::vector<std::string>& known = lora_linear_modules();
  if (tm.IsDefined() && tm.IsScalar() && tm.Scalar() == "all-linear") {
    c.target_modules = known;
  } else if (tm.IsDefined() && tm.IsSequence() && tm.size() > 0) {
    c.target_modules.clear();
    for (const YAML::Node& x : tm) {
      std::string name = "(not a name)";
      if (x.IsScalar()) name = x.Scalar();
      if (!lora_target_known(name)) {
        r.fail("target_modules", absl::StrCat("'", name, "' is not one of ", absl::StrJoin(known, ", ")));
        break;
      }
      c.target_modules.push_back(name);
    }
  } else if (tm.IsDefined() && !tm.IsNull()) {
    r.fail("target_modules", "a list of module names (q_proj, ..., down_proj) or all-linear is required");
  }
  if (absl::Status st = r.finish(); !st.ok()) return st;
  return c;
}

}  // namespace

namespace {
absl::StatusOr<Recipe> recipe_parse_yaml(const std::string& text, const std::string& name);
}  // namespace

absl::StatusOr<Recipe> recipe_parse(const std::string& text, const std::string& name) {
  // The readers check every key and value; a YAML shape none of them expects (a map as a key, found by
  // fuzz/fuzz_recipe.cc) may still throw from yaml-cpp: an error naming the file, never an abort.
  try {
    return recipe_parse_yaml(text, name);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(name, ":", e.mark.line + 1, ": ", e.msg));
  }
}

namespace {
absl::StatusOr<Recipe> recipe_parse_yaml(const std::string& text, const std::string& name) {
  std::string dir = std::filesystem::path(name).parent_path().string();
  if (dir.empty()) dir.assign(1, '.');  // (= "." trips GCC 12's -Wrestrict false positive, PR 105329)
  YAML::Node root;
  if (absl::Status st = yaml_load_string(text, name, &root); !st.ok()) return st;
  if (!root.IsMap())
    return absl::InvalidArgumentError(absl::StrCat(name, ": a recipe is a YAML map of sections"));
  Recipe r;
  r.file = name, r.dir = dir, r.recipe_text = text;
  r.name = std::filesystem::path(name).stem().string();
  YamlReader top(root, name, "");
  top.read("name", &r.name);
  if (absl::Status st = run_name_check(r.name); !st.ok()) {
    top.fail("name",
             absl::StrCat(
                 st.message(),
                 root["name"] ? "" : " (the name comes from the recipe's file name when `name` is not set)"));
  }
  int64_t seed = 1;
  top.read("seed", &seed, 0);
  r.seed = static_cast<uint64_t>(seed);
  YamlReader& model = top.section("model");
  model.read("path", &r.model_path);
  if (r.model_path.empty()) model.fail("path", "the policy's Hugging Face model directory is required");
  r.model_path = relative_to(dir, r.model_path);
  if (const YAML::Node ln = model.read_raw("lora"); ln.IsDefined() && !ln.IsNull()) {
    absl::StatusOr<LoraConfig> lora = lora_config_parse(ln, name);
    if (!lora.ok()) return lora.status();
    r.lora = *lora;
  }

  YamlReader& data = top.section("data");
  DataConfig& d = r.data;
  data.read("train", &d.train);
  data.read("builtin", &d.builtin, {"", "arithmetic", "addition"});
  data.read("builtin_size", &d.builtin_size, 1, int64_t{1} << 26);
  data.read("builtin_min_operand", &d.builtin_min_operand, 0, int64_t{1} << 52);
  data.read("builtin_max_operand", &d.builtin_max_operand, 1, int64_t{1} << 52);
  if (d.builtin_max_operand < d.builtin_min_operand)
    data.fail("builtin_max_operand", "must be >= builtin_min_operand");
  data.read("validation", &d.validation);
  data.read("validation_split", &d.validation_split, 0.0, 1.0);
  data.read("validation_size", &d.validation_size, 0, int64_t{1} << 26);
  if (d.train.empty() == d.builtin.empty())
    data.fail("train", "give exactly one of data.train and data.builtin");
  d.train = relative_to(dir, d.train);
  d.validation = relative_to(dir, d.validation);
  if (!d.validation.empty() && d.validation_split > 0) {
    data.fail("validation_split", "give data.validation or data.validation_split, not both");
  }

  YamlReader& opt = top.section("optimizer");
  OptimizerConfig& o = r.optimizer;
  opt.read("lr", &o.schedule.lr, 0.0, 1.0, true);  // above 1 is a typo for AdamW, and overflows the weights
  opt.read("warmup_steps", &o.schedule.warmup_steps, 0, int64_t{1} << 40);
  opt.read("schedule", &o.schedule.kind, {"constant", "cosine"});
  opt.read("min_lr", &o.schedule.min_lr, 0.0, o.schedule.lr);  // the cosine floor: at most the peak
  opt.read("beta1", &o.adamw.beta1, 0.0, 1.0);
  opt.read("beta2", &o.adamw.beta2, 0.0, 1.0);
  opt.read("eps", &o.adamw.eps, 0.0, {}, true);
  opt.read("weight_decay", &o.adamw.weight_decay, 0.0);
  opt.read("grad_clip", &o.grad_clip, 0.0);
  opt.read("zero_stage", &o.zero_stage, 0, 1);
  opt.read("max_skipped_steps", &o.max_skipped_steps, 1, 1000000);
  o.adamw.lr = o.schedule.lr;

  YamlReader& run = top.section("run");
  RunConfig& c = r.run;
  run.read("steps", &c.steps, 1, int64_t{1} << 40);
  run.read("dir", &c.dir);
  run.read("actors", &c.actors, 1, 4096);
  run.read("learner_ranks", &c.learner_ranks, 1, 65536);
  run.read("actor_threads", &c.actor_threads, 1, 1024);
  run.read("learner_threads", &c.learner_threads, 1, 1024);
  run.read("port", &c.port, 0, 65535);
  run.read("bind", &c.bind);
  if (!ip_literal(c.bind) && c.bind != "localhost")
    run.fail("bind", absl::StrCat("must be an IP address of this host (0.0.0.0: every interface), got \"",
                                  c.bind, "\""));
  run.read("advertise", &c.advertise);
  YamlReader& tls = run.section("tls");
  tls.read("ca", &c.tls_ca);
  tls.read("cert", &c.tls_cert);
  tls.read("key", &c.tls_key);
  if (const int unset = c.tls_ca.empty() + c.tls_cert.empty() + c.tls_key.empty(); unset != 0 && unset != 3) {
    tls.fail(c.tls_ca.empty()     ? "ca"
             : c.tls_cert.empty() ? "cert"
                                  : "key",
             "ca, cert and key go together (none: a per-run CA when the run leaves loopback)");
  }
  c.tls_ca = relative_to(dir, c.tls_ca);
  c.tls_cert = relative_to(dir, c.tls_cert);
  c.tls_key = relative_to(dir, c.tls_key);
  run.read("micro_batch_tokens", &c.micro_batch_tokens, 16, int64_t{1} << 30);
  run.read("weight_bucket_mb", &c.weight_bucket_mb, 1, 1024);  // a bucket is one gRPC message
  run.read("lease_timeout_s", &c.lease_timeout_s, 0.0);
  run.read("weight_dtype", &c.weight_dtype, {"bf16", "fp32"});
  run.read("weight_shm", &c.weight_shm);
  run.read("device", &c.device);
  if (absl::StatusOr<Device> d = device_parse(c.device); !d.ok())
    run.fail("device", "expected cpu, cuda or cuda:N");
  YamlReader& val = run.section("validation");
  val.read("every", &c.validation.every, 0, int64_t{1} << 40);
  val.read("samples", &c.validation.samples, 1, 4096);
  val.read("temperature", &c.validation.temperature, 0.0);
  val.read("max_tokens", &c.validation.max_tokens, 0, int64_t{1} << 20);
  val.read("scorer", &c.validation.scorer);
  if (c.validation.scorer != "verifier" && !remote_named(child(root, "rewards"), c.validation.scorer)) {
    val.fail("scorer", absl::StrCat("must be verifier or the name of a rewards.remote entry, got \"",
                                    c.validation.scorer, "\""));
  }
  val.read("fit_c_min", &c.validation.fit_c_min);
  val.read("background", &c.validation.background);
  if (c.validation.background && c.device != "cpu")  // learner/background_validation.h
    val.fail("background", "validation beside training runs on a CPU learner only (run.device: cpu)");
  if (double v = 0;
      c.validation.fit_c_min != "auto" && !(absl::SimpleAtod(c.validation.fit_c_min, &v) && v >= 0)) {
    val.fail("fit_c_min", absl::StrCat("must be auto or a compute >= 0 in device-hours, got \"",
                                       c.validation.fit_c_min, "\""));
  }
  YamlReader& ck = run.section("checkpoint");
  ck.read("every", &c.checkpoint_every, 0, int64_t{1} << 40);
  ck.read("keep", &c.checkpoint_keep, 1, 1000000);
  c.dir = relative_to(dir, c.dir);
  o.schedule.total_steps = c.steps;

  if (const YAML::Node cl = child(root, "cluster"); cl && !cl.IsNull()) {
    r.cluster.present = true;
    cluster_config_read(top.section("cluster"), c.actors, c.learner_ranks, &r.cluster);
    if (!r.cluster.ascent.empty()) r.cluster.ascent = relative_to(dir, r.cluster.ascent);
  }

  // Sections parsed by their owners (each validates its own keys).
  top.read_raw("generation");
  top.read_raw("algorithm");
  top.read_raw("rewards");
  top.read_raw("tools");
  if (absl::Status st = top.finish(); !st.ok()) return st;
  auto gen = generation_config_parse(child(root, "generation"), name);
  if (!gen.ok()) return gen.status();
  r.generation = *gen;
  auto tools = tools_config_parse(child(root, "tools"), name);
  if (!tools.ok()) return tools.status();
  r.generation.tools = *tools;
  auto algo = algo_config_parse(child(root, "algorithm"), name);
  if (!algo.ok()) return algo.status();
  r.algorithm = *algo;
  if (!r.algorithm.loss.kl.reference.empty())
    r.algorithm.loss.kl.reference = relative_to(dir, r.algorithm.loss.kl.reference);
  auto rw = rewards_config_parse(child(root, "rewards"), name);  // paths relative to the file's directory
  if (!rw.ok()) return rw.status();
  r.rewards = *rw;
  if (r.generation.slots < r.algorithm.group_size) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": generation.slots (", r.generation.slots,
                                                   ") must be >= algorithm.group_size (",
                                                   r.algorithm.group_size, ")"));
  }
  r.recipe_resolved = recipe_resolved_yaml(r);
  return r;
}
}  // namespace

absl::StatusOr<Recipe> recipe_load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the recipe"));
  std::stringstream ss;
  ss << in.rdbuf();
  return recipe_parse(ss.str(), path);
}

std::string recipe_resolved_yaml(const Recipe& r) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << r.name;
  e << YAML::Key << "seed" << YAML::Value << r.seed;
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
    << r.model_path;
  if (r.lora) {
    e << YAML::Key << "lora" << YAML::Value << YAML::BeginMap << YAML::Key << "rank" << YAML::Value
      << r.lora->rank << YAML::Key << "alpha" << YAML::Value << r.lora->alpha << YAML::Key << "rslora"
      << YAML::Value << r.lora->rslora << YAML::Key << "dropout" << YAML::Value << 0.0 << YAML::Key
      << "target_modules" << YAML::Value << YAML::Flow << r.lora->target_modules << YAML::EndMap;
  }
  e << YAML::EndMap;
  const DataConfig& d = r.data;
  e << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  if (!d.train.empty()) e << YAML::Key << "train" << YAML::Value << d.train;
  if (!d.builtin.empty()) {
    e << YAML::Key << "builtin" << YAML::Value << d.builtin << YAML::Key << "builtin_size" << YAML::Value
      << d.builtin_size << YAML::Key << "builtin_min_operand" << YAML::Value << d.builtin_min_operand
      << YAML::Key << "builtin_max_operand" << YAML::Value << d.builtin_max_operand;
  }
  if (!d.validation.empty()) e << YAML::Key << "validation" << YAML::Value << d.validation;
  e << YAML::Key << "validation_split" << YAML::Value << d.validation_split << YAML::Key << "validation_size"
    << YAML::Value << d.validation_size << YAML::EndMap;

  const GenerationConfig& g = r.generation;
  e << YAML::Key << "generation" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "template" << YAML::Value << YAML::DoubleQuoted << g.tmpl;
  e << YAML::Key << "system" << YAML::Value << YAML::DoubleQuoted << g.system;
  e << YAML::Key << "thinking" << YAML::Value << g.thinking;
  e << YAML::Key << "max_tokens" << YAML::Value << g.max_tokens;
  e << YAML::Key << "temperature" << YAML::Value << g.sampler.temperature;
  e << YAML::Key << "top_p" << YAML::Value << g.sampler.top_p;
  e << YAML::Key << "top_k" << YAML::Value << g.sampler.top_k;
  e << YAML::Key << "stop" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& s : g.stop) e << YAML::DoubleQuoted << s;
  e << YAML::EndSeq;
  e << YAML::Key << "slots" << YAML::Value << g.slots << YAML::Key << "max_len" << YAML::Value << g.max_len;
  e << YAML::Key << "prompt_max_tokens" << YAML::Value << g.prompt_max_tokens;
  e << YAML::Key << "interruption" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value
    << g.interrupt << YAML::Key << "min_tokens" << YAML::Value << g.interrupt_min << YAML::Key << "max_tokens"
    << YAML::Value << g.interrupt_max << YAML::Key << "solution_tokens" << YAML::Value << g.solution_tokens
    << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << g.interrupt_text << YAML::EndMap;
  e << YAML::EndMap;
  if (g.tools.on()) {
    const ToolsConfig& t = g.tools;
    e << YAML::Key << "tools" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "enabled" << YAML::Value << YAML::Flow << t.enabled;
    if (!t.commands.empty()) {
      e << YAML::Key << "commands" << YAML::Value << YAML::BeginSeq;
      for (const CommandToolSpec& c : t.commands) {
        e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name << YAML::Key << "command"
          << YAML::Value << YAML::Flow << c.argv << YAML::Key << "description" << YAML::Value
          << YAML::DoubleQuoted << c.description << YAML::Key << "parameters" << YAML::Value
          << YAML::Load(c.parameters.dump()) << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    e << YAML::Key << "format" << YAML::Value << t.format << YAML::Key << "max_turns" << YAML::Value
      << t.max_turns << YAML::Key << "max_calls" << YAML::Value << t.max_calls << YAML::Key
      << "call_timeout_s" << YAML::Value << t.call_timeout_s << YAML::Key << "max_output_chars" << YAML::Value
      << t.max_output_chars << YAML::Key << "max_total_tokens" << YAML::Value << t.max_total_tokens
      << YAML::Key << "threads" << YAML::Value << t.threads << YAML::EndMap;
  }

  const AlgoConfig& a = r.algorithm;
  static const char* kLoss[] = {"cispo", "ppo_clip", "gspo"};
  static const char* kAdv[] = {"group_centered", "grpo", "batch_std", "dr_grpo", "leave_one_out"};
  static const char* kAgg[] = {"token", "prompt", "sample", "fixed"};
  static const char* kZv[] = {"off", "filter", "resample"};
  e << YAML::Key << "algorithm" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "loss" << YAML::Value << kLoss[static_cast<int>(a.loss.kind)];
  e << YAML::Key << "cispo" << YAML::Value << YAML::BeginMap << YAML::Key << "eps_max" << YAML::Value
    << a.loss.cispo_eps_max << YAML::Key << "eps_low_is" << YAML::Value;
  if (a.loss.cispo_eps_low_is) {
    e << *a.loss.cispo_eps_low_is;
  } else {
    e << YAML::Null;
  }
  e << YAML::EndMap;
  e << YAML::Key << "clip" << YAML::Value << YAML::BeginMap << YAML::Key << "eps_low" << YAML::Value
    << a.loss.clip_eps_low << YAML::Key << "eps_high" << YAML::Value << a.loss.clip_eps_high << YAML::EndMap;
  e << YAML::Key << "gspo" << YAML::Value << YAML::BeginMap << YAML::Key << "eps_low" << YAML::Value
    << a.loss.gspo_eps_low << YAML::Key << "eps_high" << YAML::Value << a.loss.gspo_eps_high << YAML::EndMap;
  const KlConfig& kl = a.loss.kl;
  e << YAML::Key << "kl" << YAML::Value << YAML::BeginMap << YAML::Key << "beta" << YAML::Value << kl.beta
    << YAML::Key << "estimator" << YAML::Value << kl_estimator_name(kl.estimator) << YAML::Key << "form"
    << YAML::Value << kl_form_name(kl.form) << YAML::Key << "reference" << YAML::Value << YAML::DoubleQuoted
    << kl.reference << YAML::EndMap;
  const MismatchConfig& mm = a.loss.mismatch;
  e << YAML::Key << "mismatch" << YAML::Value << YAML::BeginMap << YAML::Key << "correction" << YAML::Value
    << mismatch_correction_name(mm.correction) << YAML::Key << "level" << YAML::Value
    << mismatch_level_name(mm.level) << YAML::Key << "cap" << YAML::Value << mm.cap << YAML::Key
    << "icepop_low" << YAML::Value << mm.icepop_low << YAML::Key << "icepop_high" << YAML::Value
    << mm.icepop_high << YAML::EndMap;
  e << YAML::Key << "advantage" << YAML::Value << kAdv[static_cast<int>(a.advantage.mode)];
  e << YAML::Key << "grpo_std_eps" << YAML::Value << a.advantage.grpo_eps;
  e << YAML::Key << "aggregation" << YAML::Value << kAgg[static_cast<int>(a.aggregation.mode)];
  e << YAML::Key << "fixed_max_tokens" << YAML::Value << a.aggregation.fixed_max_tokens;
  e << YAML::Key << "group_size" << YAML::Value << a.group_size;
  e << YAML::Key << "prompts_per_step" << YAML::Value << a.prompts_per_step;
  e << YAML::Key << "zero_variance" << YAML::Value << kZv[static_cast<int>(a.zero_variance)];
  e << YAML::Key << "overlong_filter" << YAML::Value << a.aggregation.overlong_filter;
  e << YAML::Key << "overlong_shaping" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
    << YAML::Value << a.overlong_shaping << YAML::Key << "max_tokens" << YAML::Value << a.overlong_max_tokens
    << YAML::Key << "cache_tokens" << YAML::Value << a.overlong_cache_tokens << YAML::EndMap;
  e << YAML::Key << "no_positive_resampling" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
    << YAML::Value << a.no_positive_resampling << YAML::Key << "threshold" << YAML::Value << a.npr_threshold
    << YAML::EndMap;
  e << YAML::Key << "max_lag" << YAML::Value << a.max_lag;
  e << YAML::EndMap;

  const RewardsConfig& rw = r.rewards;
  e << YAML::Key << "rewards" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "verifier" << YAML::Value << (rw.verifier ? "math" : "none");
  e << YAML::Key << "verifier_timeout_s" << YAML::Value << rw.verifier_timeout_s;
  e << YAML::Key << "mapping" << YAML::Value << YAML::DoubleQuoted << (rw.plus_minus_one ? "pm1" : "01");
  e << YAML::Key << "weight" << YAML::Value << rw.verifier_weight;
  e << YAML::Key << "on_error" << YAML::Value << (rw.on_error == OnRewardError::kDrop ? "drop" : "zero");
  if (rw.reward_model) {
    e << YAML::Key << "reward_model" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
      << rw.reward_model->path << YAML::Key << "weight" << YAML::Value << rw.reward_model->weight << YAML::Key
      << "batch_tokens" << YAML::Value << rw.reward_model->batch_tokens << YAML::EndMap;
  }
  if (rw.hero) {
    const HeroConfig& h = *rw.hero;
    e << YAML::Key << "hero" << YAML::Value << YAML::BeginMap << YAML::Key << "alpha" << YAML::Value
      << h.alpha << YAML::Key << "beta" << YAML::Value << h.beta << YAML::Key << "eps" << YAML::Value << h.eps
      << YAML::Key << "weighting" << YAML::Value << h.weighting << YAML::Key << "w_min" << YAML::Value
      << h.w_min << YAML::Key << "w_max" << YAML::Value << h.w_max << YAML::Key << "k" << YAML::Value << h.k
      << YAML::EndMap;
  }
  if (!rw.plugins.empty()) {
    e << YAML::Key << "plugins" << YAML::Value << YAML::BeginSeq;
    for (const NamedPlugin& p : rw.plugins) {
      e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "path"
        << YAML::Value << p.options.path << YAML::Key << "weight" << YAML::Value << p.weight << YAML::Key
        << "timeout_s" << YAML::Value << p.options.item_timeout_s << YAML::Key << "retries" << YAML::Value
        << p.options.retries << YAML::Key << "memory_mb" << YAML::Value << p.options.memory_mb << YAML::Key
        << "config" << YAML::Value << YAML::Flow;
      emit_json(e, nlohmann::json::parse(p.options.config_json));
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (!rw.remote.empty()) {
    e << YAML::Key << "remote" << YAML::Value << YAML::BeginSeq;
    for (const NamedRemote& p : rw.remote) {
      const RemoteOptions& o = p.options;
      e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name;
      if (o.command.empty()) e << YAML::Key << "address" << YAML::Value << o.address;
      if (!o.tls_ca.empty()) e << YAML::Key << "tls_ca" << YAML::Value << o.tls_ca;
      if (!o.command.empty()) {
        e << YAML::Key << "command" << YAML::Value << YAML::Flow << o.command << YAML::Key << "dir"
          << YAML::Value << o.command_dir << YAML::Key << "start_timeout_s" << YAML::Value
          << o.start_timeout_s << YAML::Key << "max_restarts" << YAML::Value << o.max_restarts;
      }
      e << YAML::Key << "weight" << YAML::Value << p.weight << YAML::Key << "batch_timeout_s" << YAML::Value
        << o.batch_timeout_s << YAML::Key << "item_timeout_s" << YAML::Value << o.item_timeout_s << YAML::Key
        << "retries" << YAML::Value << o.retries << YAML::Key << "max_batch" << YAML::Value << o.max_batch
        << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;

  const OptimizerConfig& o = r.optimizer;
  e << YAML::Key << "optimizer" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "lr" << YAML::Value << o.schedule.lr << YAML::Key << "warmup_steps" << YAML::Value
    << o.schedule.warmup_steps << YAML::Key << "schedule" << YAML::Value << o.schedule.kind << YAML::Key
    << "min_lr" << YAML::Value << o.schedule.min_lr << YAML::Key << "beta1" << YAML::Value << o.adamw.beta1
    << YAML::Key << "beta2" << YAML::Value << o.adamw.beta2 << YAML::Key << "eps" << YAML::Value
    << o.adamw.eps << YAML::Key << "weight_decay" << YAML::Value << o.adamw.weight_decay << YAML::Key
    << "grad_clip" << YAML::Value << o.grad_clip << YAML::Key << "zero_stage" << YAML::Value << o.zero_stage
    << YAML::Key << "max_skipped_steps" << YAML::Value << o.max_skipped_steps;
  e << YAML::EndMap;

  const RunConfig& c = r.run;
  e << YAML::Key << "run" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "steps" << YAML::Value << c.steps << YAML::Key << "dir" << YAML::Value << c.dir;
  e << YAML::Key << "actors" << YAML::Value << c.actors << YAML::Key << "learner_ranks" << YAML::Value
    << c.learner_ranks << YAML::Key << "actor_threads" << YAML::Value << c.actor_threads << YAML::Key
    << "learner_threads" << YAML::Value << c.learner_threads << YAML::Key << "port" << YAML::Value << c.port;
  e << YAML::Key << "bind" << YAML::Value << c.bind << YAML::Key << "advertise" << YAML::Value << c.advertise;
  e << YAML::Key << "tls" << YAML::Value << YAML::BeginMap << YAML::Key << "ca" << YAML::Value << c.tls_ca
    << YAML::Key << "cert" << YAML::Value << c.tls_cert << YAML::Key << "key" << YAML::Value << c.tls_key
    << YAML::EndMap;
  e << YAML::Key << "micro_batch_tokens" << YAML::Value << c.micro_batch_tokens << YAML::Key
    << "weight_bucket_mb" << YAML::Value << c.weight_bucket_mb << YAML::Key << "lease_timeout_s"
    << YAML::Value << c.lease_timeout_s << YAML::Key << "weight_dtype" << YAML::Value << c.weight_dtype
    << YAML::Key << "weight_shm" << YAML::Value << c.weight_shm << YAML::Key << "device" << YAML::Value
    << c.device;
  e << YAML::Key << "validation" << YAML::Value << YAML::BeginMap << YAML::Key << "every" << YAML::Value
    << c.validation.every << YAML::Key << "samples" << YAML::Value << c.validation.samples << YAML::Key
    << "temperature" << YAML::Value << c.validation.temperature << YAML::Key << "max_tokens" << YAML::Value
    << c.validation.max_tokens << YAML::Key << "scorer" << YAML::Value << c.validation.scorer << YAML::Key
    << "fit_c_min" << YAML::Value << c.validation.fit_c_min << YAML::Key << "background" << YAML::Value
    << c.validation.background << YAML::EndMap;
  e << YAML::Key << "checkpoint" << YAML::Value << YAML::BeginMap << YAML::Key << "every" << YAML::Value
    << c.checkpoint_every << YAML::Key << "keep" << YAML::Value << c.checkpoint_keep << YAML::EndMap;
  e << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace ascent
