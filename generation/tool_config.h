// The recipe's `tools:` section (docs/agentic.md; keys in docs/recipes.md): multi-turn rollouts in which the
// policy calls tools in its own format and reads their results before it goes on.
//   tools:
//     enabled: [calculator]  # built-in tools by name (calculator, python)
//     commands:              # the user's own tools: a program per call, the arguments as JSON on its stdin
//       - {name: lookup, command: [python3, tools/lookup.py], description: "...", parameters: {type: object}}
//                            # no tools at all: single-turn completions
//     format: auto           # auto (read from the chat template) | hermes | llama3_json
//     max_turns: 4           # assistant turns per completion (a tool result starts the next)
//     max_calls: 8           # tool calls per completion; more get an error result
//     call_timeout_s: 10     # per call; a slower call gets a timeout result
//     max_output_chars: 2000 # a longer result is cut, with a note the model reads
//     max_total_tokens: 0    # completion tokens in all, sampled and appended (0: max_turns x (max_tokens + 256))
//     threads: 2             # tool workers per decode loop
// Tools need generation.template: chat (the template renders the tool list and the results) and exclude
// generation.interruption. Errors name the file, line and key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/command_tool.h"
#include "tools/tool.h"
#include "yaml-cpp/yaml.h"

namespace ascent {

struct ToolsConfig {
  std::vector<std::string> enabled;
  std::vector<CommandToolSpec> commands;  // the user's own tools (tools/command_tool.h)
  std::string format = "auto";
  int64_t max_turns = 4, max_calls = 8, max_output_chars = 2000, max_total_tokens = 0;
  double call_timeout_s = 10.0;
  int64_t threads = 2;
  bool on() const { return !enabled.empty() || !commands.empty(); }
  // Completion tokens a slot must hold: max_total_tokens, or max_turns x (max_tokens + 256).
  int64_t total_tokens(int64_t max_tokens) const;
};

// The built-in tools' names ("calculator", "python").
std::vector<std::string> builtin_tool_names();

absl::StatusOr<ToolsConfig> tools_config_parse(const YAML::Node& node, const std::string& file);

// The enabled tools; an unknown name is an error naming it and the known ones.
absl::StatusOr<std::vector<std::shared_ptr<const Tool>>> tools_make(const ToolsConfig& t);
// Their schemas, the `tools` the chat template lists for the model.
nlohmann::ordered_json tools_schemas(const std::vector<std::shared_ptr<const Tool>>& tools);

}  // namespace ascent
