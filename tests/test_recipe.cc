// Recipes (job/recipe.h): the shipped recipes parse and hold the published settings of docs/algorithms.md
// section 9; typos and bad values are errors naming file:line and the dotted key; the resolved recipe
// (every key with its value) parses back to itself.
#include <gtest/gtest.h>

#include <filesystem>

#include "job/recipe.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

std::string recipes_dir() {
  return std::string(ASCENT_SOURCE_DIR) + "/recipes/";
}

absl::Status parse_error(const std::string& text) {
  return recipe_parse(text, "/tmp/r/recipe.yaml").status();
}

const char* kMinimal = "model: {path: m}\ndata: {builtin: arithmetic}\n";

}  // namespace

TEST(Recipe, ScaleRlRecipeHoldsThePublishedSettings) {
  auto r = recipe_load(recipes_dir() + "scalerl.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->algorithm.loss.kind, LossKind::kCispo);
  EXPECT_EQ(r->algorithm.loss.cispo_eps_max, 4.0);
  EXPECT_EQ(r->algorithm.aggregation.mode, AggregationMode::kPrompt);
  EXPECT_EQ(r->algorithm.advantage.mode, AdvantageMode::kBatchStd);
  EXPECT_EQ(r->algorithm.prompts_per_step, 48);
  EXPECT_EQ(r->algorithm.group_size, 16);
  EXPECT_EQ(r->algorithm.max_lag, 8);
  EXPECT_EQ(r->algorithm.zero_variance, ZeroVarianceMode::kFilter);
  EXPECT_TRUE(r->algorithm.no_positive_resampling);
  EXPECT_EQ(r->algorithm.npr_threshold, 0.9);
  EXPECT_EQ(r->optimizer.schedule.lr, 5e-7);
  EXPECT_EQ(r->optimizer.schedule.warmup_steps, 100);
  EXPECT_EQ(r->optimizer.adamw.eps, 1e-15);
  EXPECT_EQ(r->optimizer.adamw.weight_decay, 0.01);
  EXPECT_TRUE(r->generation.interrupt);
  EXPECT_EQ(r->generation.interrupt_min, 10000);
  EXPECT_EQ(r->generation.interrupt_max, 12000);
  EXPECT_EQ(r->generation.solution_tokens, 2048);
  EXPECT_EQ(r->generation.max_tokens, 12288);
  EXPECT_EQ(r->run.validation.every, 100);
  EXPECT_EQ(r->run.validation.samples, 16);
  EXPECT_EQ(r->data.validation_size, 1000);
}

TEST(Recipe, GrpoTcrAndHeroRecipesHoldThePublishedSettings) {
  auto t = recipe_load(recipes_dir() + "grpo_tcr.yaml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->algorithm.loss.kind, LossKind::kPpoClip);
  EXPECT_EQ(t->algorithm.loss.clip_eps_low, 0.2);
  EXPECT_EQ(t->algorithm.loss.clip_eps_high, 0.28);
  EXPECT_EQ(t->algorithm.aggregation.mode, AggregationMode::kToken);
  EXPECT_TRUE(t->algorithm.overlong_shaping);
  EXPECT_EQ(t->algorithm.loss.kl.beta, 0.0);
  EXPECT_EQ(t->optimizer.schedule.lr, 1e-6);
  EXPECT_EQ(t->algorithm.group_size, 16);
  EXPECT_EQ(t->optimizer.grad_clip, 1.0);
  // The agent recipe: the same maths with the Python tool, a total budget of L_max.
  auto a = recipe_load(recipes_dir() + "agent_tcr.yaml");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->algorithm.loss.kind, LossKind::kPpoClip);
  EXPECT_EQ(a->algorithm.loss.clip_eps_high, 0.28);
  EXPECT_EQ(a->algorithm.aggregation.mode, AggregationMode::kToken);
  EXPECT_TRUE(a->algorithm.overlong_shaping);
  EXPECT_EQ(a->optimizer.schedule.lr, 1e-6);
  EXPECT_EQ(a->generation.tools.enabled, std::vector<std::string>{"python"});
  EXPECT_EQ(a->generation.tools.format, "auto");
  EXPECT_EQ(a->generation.tools.total_tokens(a->generation.max_tokens), 20480);
  EXPECT_EQ(a->generation.tmpl, "chat");
  auto h = recipe_load(recipes_dir() + "hero.yaml");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_TRUE(h->rewards.hero.has_value());
  EXPECT_EQ(h->rewards.hero->alpha, 0.05);
  EXPECT_EQ(h->rewards.hero->beta, 0.05);
  EXPECT_EQ(h->rewards.hero->w_min, 0.4);
  EXPECT_EQ(h->rewards.hero->w_max, 3.0);
  EXPECT_EQ(h->rewards.hero->k, 6.0);
  EXPECT_EQ(h->algorithm.group_size, 8);
  EXPECT_EQ(h->optimizer.schedule.lr, 1e-6);
  EXPECT_EQ(h->generation.sampler.temperature, 1.0f);
  EXPECT_EQ(h->algorithm.zero_variance, ZeroVarianceMode::kOff);
  auto q = recipe_load(recipes_dir() + "quickstart.yaml");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->rewards.hero.has_value());
  EXPECT_EQ(q->algorithm.loss.kind, LossKind::kCispo);
  EXPECT_FALSE(q->lora.has_value());
  // The LoRA quickstart: the quickstart's models and maths, rank-16 adapters on all seven projections, 10x lr.
  auto ql = recipe_load(recipes_dir() + "quickstart_lora.yaml");
  ASSERT_TRUE(ql.ok()) << ql.status();
  ASSERT_TRUE(ql->lora.has_value());
  EXPECT_EQ(ql->lora->rank, 16);
  EXPECT_EQ(ql->lora->target_modules.size(), 7u);
  EXPECT_EQ(ql->model_path, q->model_path);
  EXPECT_EQ(ql->optimizer.schedule.lr, 10 * q->optimizer.schedule.lr);
}

TEST(Recipe, TyposAndBadValuesNameTheKeyAndLine) {
  absl::Status st = parse_error(std::string(kMinimal) + "run:\n  stepz: 10\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: run.stepz"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "optimiser: {lr: 1}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: optimiser"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "generation:\n  temperature: -1\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: generation.temperature"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "algorithm:\n  max_lag: two\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: algorithm.max_lag"), std::string::npos) << st;
  st = parse_error("data: {builtin: arithmetic}\n");
  EXPECT_NE(st.message().find("model.path"), std::string::npos) << st;
  st = parse_error("model: {path: m}\ndata: {builtin: arithmetic, train: x.jsonl}\n");
  EXPECT_NE(st.message().find("data.train"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "run:\n  validation: {samples: 0}\n");
  EXPECT_NE(st.message().find("run.validation.samples"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "generation: {template: \"no placeholder\"}\n");
  EXPECT_NE(st.message().find("generation.template"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "generation: {slots: 4}\nalgorithm: {group_size: 8}\n");
  EXPECT_NE(st.message().find("generation.slots"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "rewards: {verifer: math}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: rewards.verifer"), std::string::npos) << st;
  st = parse_error("model: [1, 2\n");
  EXPECT_NE(st.message().find("recipe.yaml:"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "run:\n  device: gpu\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: run.device: expected cpu, cuda or cuda:N"), std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "optimizer: {zero_stage: 2}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: optimizer.zero_stage"), std::string::npos) << st;
  // A learning rate above 1 (lr 1e9: a typo) would overflow every weight; 0 skipped steps would stop at once.
  st = parse_error(std::string(kMinimal) + "optimizer: {lr: 1.0e+9}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: optimizer.lr"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "optimizer: {lr: 1.0e-5, min_lr: 1.0}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: optimizer.min_lr"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "optimizer: {max_skipped_steps: 0}\n");
  EXPECT_NE(st.message().find("recipe.yaml:3: optimizer.max_skipped_steps"), std::string::npos) << st;
  // A validation scorer must name a remote reward; a started server needs a list argv and a name.
  st = parse_error(std::string(kMinimal) + "run:\n  validation: {scorer: gsm8k}\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: run.validation.scorer: must be verifier or the name of a "
                              "rewards.remote entry, got \"gsm8k\""),
            std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "run:\n  validation: {fit_c_min: early}\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: run.validation.fit_c_min: must be auto or a compute >= 0"),
            std::string::npos)
      << st;
  // Validation beside training: a bool, on a CPU learner only (learner/background_validation.h).
  st = parse_error(std::string(kMinimal) + "run:\n  validation: {background: sometimes}\n");
  EXPECT_NE(st.message().find("run.validation.background"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "run:\n  device: cuda\n  validation: {background: true}\n");
  EXPECT_NE(st.message().find("recipe.yaml:5: run.validation.background: validation beside training runs on "
                              "a CPU learner only"),
            std::string::npos)
      << st;
  {
    auto bg = recipe_parse(std::string(kMinimal) + "run:\n  validation: {background: true}\n",
                           "/tmp/r/recipe.yaml");
    ASSERT_TRUE(bg.ok()) << bg.status();
    EXPECT_TRUE(bg->run.validation.background);
    auto again = recipe_parse(recipe_resolved_yaml(*bg), "/tmp/r/recipe.resolved.yaml");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->run.validation.background);
  }
  st = parse_error(std::string(kMinimal) +
                   "rewards:\n  remote:\n    - {name: rg, command: python3 server.py}\n");
  EXPECT_NE(st.message().find("recipe.yaml:5: rewards.remote[0].command: must be a non-empty list"),
            std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "rewards:\n  remote:\n    - {command: [python3, s.py]}\n");
  EXPECT_NE(st.message().find("rewards.remote[0].name"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) +
                   "rewards:\n  remote:\n    - {name: a, command: [x], address: h:1}\n");
  EXPECT_NE(st.message().find("give either address"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) +
                   "rewards:\n  remote:\n    - {name: a, command: [x], tls_ca: ca.pem}\n");
  EXPECT_NE(st.message().find("rewards.remote[0].tls_ca: applies to a running server"), std::string::npos)
      << st;
  // A running server's CA, relative to the recipe.
  auto tls =
      recipe_parse(std::string(kMinimal) + "rewards:\n  remote:\n    - {address: \"h:1\", tls_ca: ca.pem}\n",
                   "/tmp/r/recipe.yaml");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(tls->rewards.remote.at(0).options.tls_ca, "/tmp/r/ca.pem");
}

// A plugin's free-form config survives the resolved recipe value for value: "123" and "true" stay strings.
TEST(Recipe, PluginConfigParsesBackToTheSameValues) {
  auto r = recipe_parse(
      std::string(kMinimal) +
          "rewards:\n  plugins:\n    - path: p.so\n      config: {threshold: \"123\", on: \"true\", "
          "n: 3, x: 1.5, flag: false, list: [a, 2, \"3\"], nested: {k: null, s: \"a: b\"}}\n",
      "/tmp/r/recipe.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string config = r->rewards.plugins.at(0).options.config_json;
  EXPECT_EQ(nlohmann::json::parse(config),
            nlohmann::json::parse(R"({"threshold": "123", "on": "true", "n": 3, "x": 1.5, "flag": false,
                                      "list": ["a", 2, "3"], "nested": {"k": null, "s": "a: b"}})"));
  auto again = recipe_parse(recipe_resolved_yaml(*r), "/tmp/elsewhere/recipe.resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << recipe_resolved_yaml(*r);
  EXPECT_EQ(nlohmann::json::parse(again->rewards.plugins.at(0).options.config_json),
            nlohmann::json::parse(config));
}

TEST(Recipe, SmolLm2RecipeStartsItsScorerInTheRecipesDirectory) {
  auto r = recipe_load(recipes_dir() + "smollm2_chain_sum.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rewards.remote.size(), 1u);
  const NamedRemote& rg = r->rewards.remote[0];
  EXPECT_EQ(rg.name, "reasoning_gym");
  EXPECT_EQ(r->run.validation.scorer, "reasoning_gym");
  EXPECT_FALSE(r->rewards.verifier);
  EXPECT_EQ(rg.options.command.at(1), "../examples/reasoning_gym/reward_server.py");
  EXPECT_EQ(std::filesystem::path(rg.options.command_dir),
            std::filesystem::path(ASCENT_SOURCE_DIR "/recipes").lexically_normal());
  EXPECT_EQ(r->generation.tmpl, "chat");
  // The resolved recipe keeps the server's command and directory, and parses back to itself from elsewhere.
  const std::string resolved = recipe_resolved_yaml(*r);
  auto again = recipe_parse(resolved, "/tmp/elsewhere/recipe.resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << resolved;
  EXPECT_EQ(again->rewards.remote.at(0).options.command_dir, rg.options.command_dir);
  EXPECT_EQ(recipe_resolved_yaml(*again), resolved);
}

TEST(Recipe, ResolvedRecipeParsesBackToItself) {
  auto r = recipe_load(recipes_dir() + "scalerl.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string resolved = recipe_resolved_yaml(*r);
  auto again = recipe_parse(resolved, "/tmp/r/resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << resolved;
  EXPECT_EQ(recipe_resolved_yaml(*again), resolved);
  // Defaults are spelled out: a minimal recipe resolves to the ScaleRL algorithm defaults.
  auto m = recipe_parse(kMinimal, "/tmp/r/recipe.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->rewards.hero.has_value());  // no rewards section: the verifier alone (was HERO: a bug)
  EXPECT_TRUE(m->rewards.verifier);
  const std::string text = recipe_resolved_yaml(*m);
  EXPECT_NE(text.find("eps_max: 4"), std::string::npos) << text;
  EXPECT_NE(text.find("max_lag: 8"), std::string::npos) << text;
  EXPECT_NE(text.find("prompts_per_step: 48"), std::string::npos) << text;
}

// Non-default KL, mismatch and LoRA settings survive the resolved recipe: it parses back from another
// directory to the same values, with the relative reference path resolved once.
TEST(Recipe, KlMismatchAndLoraRoundTrip) {
  const char* text = R"(model:
  path: m
  lora: {rank: 8, alpha: 16, rslora: true, target_modules: [q_proj, v_proj]}
data: {builtin: arithmetic}
algorithm:
  loss: ppo_clip
  kl: {beta: 0.02, estimator: k2, form: reward, reference: ../ref}
  mismatch: {correction: mis, level: geometric, cap: 3}
)";
  auto r = recipe_parse(text, "/tmp/a/recipe.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->lora.has_value());
  EXPECT_EQ(r->lora->rank, 8);
  EXPECT_EQ(r->lora->alpha, 16.0);
  EXPECT_TRUE(r->lora->rslora);
  EXPECT_EQ(r->lora->target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_EQ(r->algorithm.loss.kl.reference, "/tmp/ref");
  const std::string resolved = recipe_resolved_yaml(*r);
  auto again = recipe_parse(resolved, "/tmp/elsewhere/recipe.resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << resolved;
  EXPECT_EQ(recipe_resolved_yaml(*again), resolved);
  EXPECT_EQ(again->algorithm.loss.kl.beta, 0.02);
  EXPECT_EQ(again->algorithm.loss.kl.estimator, KlEstimator::kK2);
  EXPECT_EQ(again->algorithm.loss.kl.form, KlForm::kReward);
  EXPECT_EQ(again->algorithm.loss.kl.reference, "/tmp/ref");
  EXPECT_EQ(again->algorithm.loss.mismatch.correction, MismatchCorrection::kMis);
  EXPECT_EQ(again->algorithm.loss.mismatch.level, MismatchLevel::kGeometric);
  EXPECT_EQ(again->algorithm.loss.mismatch.cap, 3.0);
  ASSERT_TRUE(again->lora.has_value());
  EXPECT_EQ(again->lora->target_modules, r->lora->target_modules);
  EXPECT_TRUE(again->lora->rslora);
  auto all =
      recipe_parse("model: {path: m, lora: {target_modules: all-linear}}\ndata: {builtin: arithmetic}\n",
                   "/tmp/a/recipe.yaml");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->lora->target_modules.size(), 7u);
  EXPECT_FALSE(recipe_parse(kMinimal, "/tmp/a/recipe.yaml")->lora.has_value());
}

TEST(Recipe, LoraErrorsNameLineAndKey) {
  auto err = [](const std::string& lora) {
    auto r =
        recipe_parse("model:\n  path: m\n  lora: " + lora + "\ndata: {builtin: arithmetic}\n", "recipe.yaml");
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(err("{rank: 0}"), "recipe.yaml:3: model.lora.rank: must be >= 1, got 0");
  EXPECT_EQ(err("{alpha: 0}"), "recipe.yaml:3: model.lora.alpha: must be > 0, got 0");
  EXPECT_EQ(
      err("{dropout: 0.05}"),
      "recipe.yaml:3: model.lora.dropout: must be 0: ascent trains LoRA through the merged weight, and the "
      "learner's log-probs must be the sampler's policy (docs/algorithms.md 2d)");
  EXPECT_EQ(
      err("{target_modules: [q_proj, lm_head]}"),
      "recipe.yaml:3: model.lora.target_modules: 'lm_head' is not one of q_proj, k_proj, v_proj, o_proj, "
      "gate_proj, up_proj, down_proj");
  EXPECT_EQ(err("{target_modules: everything}"),
            "recipe.yaml:3: model.lora.target_modules: a list of module names (q_proj, ..., down_proj) or "
            "all-linear is required");
  EXPECT_EQ(err("{rnak: 4}"), "recipe.yaml:3: model.lora.rnak: unknown key");
}

}  // namespace ascent

namespace ascent {

// The tools: section (generation/tool_config.h): parses, round-trips through the resolved recipe, and its
// typos and bad values name the line and key; tools with interruption or without the chat template are
// refused when the decode settings are made.
TEST(Recipe, ToolsSectionParsesRoundTripsAndNamesItsErrors) {
  auto r = recipe_parse(std::string(kMinimal) +
                            "generation: {template: chat}\n"
                            "tools:\n  enabled: [calculator]\n  format: hermes\n  max_turns: 3\n"
                            "  call_timeout_s: 2.5\n  max_total_tokens: 900\n",
                        "/tmp/r/recipe.yaml");
  ASSERT_TRUE(r.ok()) << r.status();
  const ToolsConfig& t = r->generation.tools;
  EXPECT_TRUE(t.on());
  EXPECT_EQ(t.enabled, std::vector<std::string>{"calculator"});
  EXPECT_EQ(t.format, "hermes");
  EXPECT_EQ(t.max_turns, 3);
  EXPECT_EQ(t.call_timeout_s, 2.5);
  EXPECT_EQ(t.total_tokens(100), 900);
  auto again = recipe_parse(recipe_resolved_yaml(*r), "/tmp/r/recipe.resolved.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->generation.tools.enabled, t.enabled);
  EXPECT_EQ(again->generation.tools.max_turns, 3);
  EXPECT_EQ(again->generation.tools.max_total_tokens, 900);
  // Off by default; without max_total_tokens a slot holds max_turns x (max_tokens + 256).
  auto plain = recipe_parse(kMinimal, "/tmp/r/recipe.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->generation.tools.on());
  EXPECT_EQ(ToolsConfig{}.total_tokens(100), 4 * 356);

  // The user's own tools: a program per call; a relative program path is the recipe's directory's.
  auto c =
      recipe_parse(std::string(kMinimal) +
                       "generation: {template: chat}\n"
                       "tools:\n  commands:\n    - name: lookup\n      command: [./bin/lookup.py, --fast]\n"
                       "      description: finds a word\n"
                       "      parameters: {type: object, properties: {word: {type: string}}}\n",
                   "/tmp/r/recipe.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->generation.tools.commands.size(), 1u);
  const CommandToolSpec& spec = c->generation.tools.commands[0];
  EXPECT_TRUE(c->generation.tools.on());
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/tmp/r/bin/lookup.py", "--fast"}));
  EXPECT_EQ(spec.parameters["properties"]["word"]["type"], "string");
  auto c2 = recipe_parse(recipe_resolved_yaml(*c), "/tmp/r/recipe.resolved.yaml");
  ASSERT_TRUE(c2.ok()) << c2.status() << recipe_resolved_yaml(*c);
  EXPECT_EQ(c2->generation.tools.commands[0].argv, spec.argv);
  EXPECT_EQ(c2->generation.tools.commands[0].parameters, spec.parameters);
  EXPECT_EQ(c2->generation.tools.commands[0].description, "finds a word");
  absl::Status st =
      parse_error(std::string(kMinimal) + "tools:\n  commands:\n    - {name: python, command: [x]}\n");
  EXPECT_NE(st.message().find("tools.commands[0].name: \"python\" is already a tool's name"),
            std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "tools:\n  commands:\n    - {name: a, command: []}\n");
  EXPECT_NE(st.message().find("tools.commands[0].command: must be a non-empty list"), std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) +
                   "tools:\n  commands:\n    - {name: a, command: [x], parameters: [1]}\n");
  EXPECT_NE(st.message().find("tools.commands[0].parameters: must be a JSON schema"), std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "tools:\n  enabled: [calculator, shell]\n");
  EXPECT_NE(st.message().find(
                "recipe.yaml:4: tools.enabled: unknown tool \"shell\" (built in: calculator, python)"),
            std::string::npos)
      << st;
  st = parse_error(std::string(kMinimal) + "tools:\n  enabled: [calculator]\n  format: xml\n");
  EXPECT_NE(st.message().find("recipe.yaml:5: tools.format"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "tools:\n  max_turn: 3\n");
  EXPECT_NE(st.message().find("recipe.yaml:4: tools.max_turn"), std::string::npos) << st;
  st = parse_error(std::string(kMinimal) + "tools:\n  max_turns: 0\n");
  EXPECT_NE(st.message().find("tools.max_turns"), std::string::npos) << st;
}

}  // namespace ascent
