// `ascent reward --recipe R --input FILE.jsonl [--output F] [--chunk N]`: scores a file offline with the
// recipe's `rewards:` section, to debug a reward setup. Input lines {"prompt", "completion", "answer"} (and
// an optional "metadata" object); lines with the same prompt form a group (HERO normalises inside it). Output
// lines: {"reward": x or null, "ok", "error"?, "verifier": {"value", "reason", "extracted"}, "<component>":
// {"value", "ok", "reason"}, "hero_weight"?}, in input order, written chunk by chunk so work done is kept.
#include <cstdio>
#include <fstream>
#include <map>

#include "cli/commands.h"
#include "core/jsonl_input.h"
#include "core/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "rewards/reward_pipeline.h"
#include "rewards/reward_setup.h"

namespace ascent {

namespace {

absl::StatusOr<std::vector<RewardInput>> read_reward_input(const std::string& path) {
  std::vector<RewardInput> out;
  absl::Status st =
      jsonl_for_each(path, [&](const nlohmann::json& j, const std::string& where) -> absl::Status {
        RewardInput in;
        for (auto [key, dst] : {std::pair{"prompt", &in.prompt}, std::pair{"completion", &in.completion},
                                std::pair{"answer", &in.answer}}) {
          if (!j.contains(key)) {
            if (std::string(key) == "answer") continue;
            return absl::InvalidArgumentError(where + "missing \"" + key + "\"");
          }
          if (!j[key].is_string())
            return absl::InvalidArgumentError(where + "\"" + key + "\" must be a string");
          *dst = j[key].get<std::string>();
        }
        if (j.contains("metadata")) in.metadata_json = j["metadata"].dump();
        out.push_back(std::move(in));
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return out;
}

}  // namespace

void cli_add_reward(CLI::App& app) {
  struct Opts {
    std::string recipe, input, output;
    int64_t chunk = 256;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("reward", "Score a JSONL file of completions with a recipe's rewards");
  cmd->add_option("--recipe", o->recipe, "recipe YAML (its rewards: section is used)")->required();
  cmd->add_option("--input", o->input, "JSONL: {\"prompt\", \"completion\", \"answer\"} per line")
      ->required();
  cmd->add_option("--output", o->output, "output JSONL (default: stdout)");
  cmd->add_option("--chunk", o->chunk, "prompts scored (and written) at a time")->capture_default_str();
  cmd->callback([o] {
    YAML::Node root;
    absl::Status st = yaml_load_file(o->recipe, &root);
    if (!st.ok()) std::exit(cli_fail("reward", std::string(st.message())));
    absl::StatusOr<RewardsConfig> cfg =
        rewards_config_parse(root.IsMap() ? root["rewards"] : YAML::Node(), o->recipe);
    if (!cfg.ok()) std::exit(cli_fail("reward", std::string(cfg.status().message())));
    absl::StatusOr<RewardSetup> setup = reward_setup_make(*cfg, o->recipe);
    if (!setup.ok()) std::exit(cli_fail("reward", std::string(setup.status().message())));
    absl::StatusOr<std::vector<RewardInput>> lines = read_reward_input(o->input);
    if (!lines.ok()) std::exit(cli_fail("reward", std::string(lines.status().message())));
    // Groups by prompt, in order of first appearance.
    std::map<std::string, size_t> group_of;
    std::vector<std::vector<size_t>> groups;
    for (size_t i = 0; i < lines->size(); ++i) {
      auto [it, fresh] = group_of.emplace((*lines)[i].prompt, groups.size());
      if (fresh) groups.emplace_back();
      groups[it->second].push_back(i);
    }
    std::FILE* out = stdout;
    if (!o->output.empty() && !(out = std::fopen(o->output.c_str(), "w"))) {
      std::exit(cli_fail("reward", o->output + ": cannot open for writing"));
    }
    RewardPipeline& pipeline = *setup->pipeline;
    std::vector<nlohmann::json> results(lines->size());
    size_t written = 0;
    for (size_t g0 = 0; g0 < groups.size(); g0 += static_cast<size_t>(o->chunk)) {
      const size_t g1 = std::min(groups.size(), g0 + static_cast<size_t>(o->chunk));
      std::vector<std::vector<RewardInput>> batch;
      for (size_t g = g0; g < g1; ++g) {
        batch.emplace_back();
        for (size_t i : groups[g]) batch.back().push_back((*lines)[i]);
      }
      const auto scored = pipeline.score_groups(batch);
      for (size_t g = g0; g < g1; ++g) {
        for (size_t k = 0; k < groups[g].size(); ++k) {
          const ScoredCompletion& s = scored[g - g0][k];
          nlohmann::json j;
          j["reward"] = s.ok ? nlohmann::json(s.reward) : nlohmann::json(nullptr);
          j["ok"] = s.ok;
          if (!s.error.empty()) j["error"] = s.error;
          for (const auto& [name, c] : s.components) {
            j[name] = {{"value", c.value}, {"ok", c.ok}, {"reason", c.reason}};
          }
          if (j.contains("verifier")) j["verifier"]["extracted"] = s.extracted;
          if (cfg->hero) j["hero_weight"] = s.group_weight;
          results[groups[g][k]] = std::move(j);
        }
      }
      // Write every line whose predecessors are all done (input order), so a later failure keeps them.
      while (written < results.size() && !results[written].is_null()) {
        std::fprintf(out, "%s\n", results[written++].dump().c_str());
      }
      std::fflush(out);
    }
    if (out != stdout) std::fclose(out);
    for (const auto& [k, v] : pipeline.counters()) std::fprintf(stderr, "%s: %g\n", k.c_str(), v);
  });
}

}  // namespace ascent
