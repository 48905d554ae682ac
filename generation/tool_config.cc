#include "generation/tool_config.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "core/yaml_reader.h"
#include "tools/calculator.h"
#include "tools/python_sandbox.h"

namespace ascent {

int64_t ToolsConfig::total_tokens(int64_t max_tokens) const {
  return max_total_tokens > 0 ? max_total_tokens : max_turns * (max_tokens + 256);
}

std::vector<std::string> builtin_tool_names() {
  return {"calculator", "python"};
}

namespace {

// One of tools.commands: a name no other tool has, a non-empty command (a relative program path is relative
// to the recipe's directory), an optional description and JSON-schema parameters (a map).
void commands_parse(YamlReader& c, const std::string& file, ToolsConfig* t) {
  CommandToolSpec s;
  c.read("name", &s.name);
  c.read("description", &s.description);
  const std::vector<std::string> builtin = builtin_tool_names();
  if (s.name.empty() ||
      s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          std::string::npos) {
    c.fail("name", "must be a non-empty name of letters, digits, '_', '.', '-'");
  } else if (std::find(builtin.begin(), builtin.end(), s.name) != builtin.end() ||
             std::any_of(t->commands.begin(), t->commands.end(),
                         [&](const auto& o) { return o.name == s.name; })) {
    c.fail("name", absl::StrCat("\"", s.name, "\" is already a tool's name"));
  }
  const YAML::Node cmd = c.read_raw("command");
  if (!cmd.IsSequence() || cmd.size() == 0) {
    c.fail("command", "must be a non-empty list of strings (the program and its arguments)");
  } else {
    for (const auto& a : cmd) s.argv.push_back(a.IsScalar() ? a.as<std::string>() : "");
    const std::filesystem::path prog(s.argv[0]);
    if (s.argv[0].find('/') != std::string::npos && prog.is_relative()) {
      s.argv[0] =
          (std::filesystem::absolute(std::filesystem::path(file).parent_path()) / prog).lexically_normal();
    }
  }
  const YAML::Node params = c.read_raw("parameters");
  if (params.IsDefined() && !params.IsNull() && !params.IsMap()) {
    c.fail("parameters", "must be a JSON schema (a map)");
  } else {
    s.parameters = nlohmann::ordered_json::parse(yaml_to_json(params).dump());
  }
  t->commands.push_back(std::move(s));
}

}  // namespace

absl::StatusOr<ToolsConfig> tools_config_parse(const YAML::Node& node, const std::string& file) {
  ToolsConfig t;
  YamlReader r(node, file, "tools");
  YAML::Node en = r.read_raw("enabled");
  if (en && !en.IsNull()) {
    if (!en.IsSequence()) {
      r.fail("enabled", "must be a list of tool names");
    } else {
      for (const auto& n : en) {
        const std::vector<std::string> known = builtin_tool_names();
        const std::string name = n.IsScalar() ? n.as<std::string>() : "";
        if (std::find(known.begin(), known.end(), name) == known.end()) {
          r.fail("enabled",
                 absl::StrCat("unknown tool \"", name, "\" (built in: ", absl::StrJoin(known, ", "), ")"));
          break;
        }
        t.enabled.push_back(name);
      }
    }
  }
  for (YamlReader* c : r.section_list("commands")) commands_parse(*c, file, &t);
  r.read("format", &t.format, {"auto", "hermes", "llama3_json"});
  r.read("max_turns", &t.max_turns, 1, 64);
  r.read("max_calls", &t.max_calls, 1, 1024);
  r.read("call_timeout_s", &t.call_timeout_s, 0.001, 3600.0);
  r.read("max_output_chars", &t.max_output_chars, 1, int64_t{1} << 20);
  r.read("max_total_tokens", &t.max_total_tokens, 0, int64_t{1} << 21);
  r.read("threads", &t.threads, 1, 64);
  ASCENT_RETURN_IF_ERROR(r.finish());
  return t;
}

absl::StatusOr<std::vector<std::shared_ptr<const Tool>>> tools_make(const ToolsConfig& t) {
  std::vector<std::shared_ptr<const Tool>> out;
  for (const std::string& name : t.enabled) {
    if (name == "calculator") {
      out.push_back(std::make_shared<Calculator>());
    } else if (name == "python") {
      absl::StatusOr<std::unique_ptr<PythonSandbox>> py = PythonSandbox::create();
      if (!py.ok()) return py.status();
      out.push_back(std::shared_ptr<const Tool>(*std::move(py)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("tools.enabled: unknown tool \"", name, "\" (built in: ",
                                                     absl::StrJoin(builtin_tool_names(), ", "), ")"));
    }
  }
  for (const CommandToolSpec& c : t.commands) out.push_back(std::make_shared<CommandTool>(c));
  return out;
}

nlohmann::ordered_json tools_schemas(const std::vector<std::shared_ptr<const Tool>>& tools) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& t : tools) a.push_back(t->schema());
  return a;
}

}  // namespace ascent
