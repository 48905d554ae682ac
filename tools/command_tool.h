// A user's own tool as a program in any language (the recipe's tools.commands; docs/agentic.md): each call runs
// `argv` in a process of its own (its own process group) with the call's arguments as one JSON object on its
// standard input; what it prints (standard output and error) is the result, exit code 0 a success. It is
// killed, with everything it started, at the call's deadline or once its output passes max_output_bytes, so a
// crash, a hang or a flood costs the call only and never the actor. It is not sandboxed: it runs as the
// actor's user with the network, as the user's own code (model-written code goes to the python tool).
// Error kinds: failed (a non-zero exit, with its output; a program that cannot start), timeout, output_limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/tool.h"

namespace ascent {

struct CommandToolSpec {
  std::string name, description;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();  // JSON schema of the arguments
  std::vector<std::string> argv;                                         // argv[0] searched in PATH
  int64_t max_output_bytes = 64 << 10;
};

class CommandTool : public Tool {
 public:
  explicit CommandTool(CommandToolSpec spec) : spec_(std::move(spec)) {}
  std::string name() const override { return spec_.name; }
  nlohmann::ordered_json schema() const override;
  ToolOutput run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const override;

 private:
  CommandToolSpec spec_;
};

}  // namespace ascent
