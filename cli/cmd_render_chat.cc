// `ascent render-chat --model DIR --input FILE.jsonl [--output F]`: renders each line's conversation with the
// model's chat template (model/tokenizer/chat_template.h), so that anyone can compare a template with
// transformers' apply_chat_template. Input lines: {"messages": [...], "tools"?: [...],
// "add_generation_prompt"?: bool (default true), "enable_thinking"?: bool, any other key: a template
// variable}. Output: one line per input, {"text": ...} or {"error": ...} (a template that refuses the
// conversation); a malformed input line stops the command with file:line.
#include <cstdio>

#include "cli/commands.h"
#include "core/jsonl_input.h"
#include "model/tokenizer/chat_template.h"

namespace ascent {

void cli_add_render_chat(CLI::App& app) {
  struct Opts {
    std::string model, input, output;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("render-chat", "Render conversations with a model's chat template (Jinja)");
  cmd->add_option("--model", o->model, "model directory (its tokenizer_config.json) or the file itself")
      ->required();
  cmd->add_option("--input", o->input, "JSONL: {\"messages\", \"tools\"?, \"add_generation_prompt\"?, ...}")
      ->required();
  cmd->add_option("--output", o->output, "output JSONL (default: stdout)");
  cmd->callback([o] {
    absl::StatusOr<ChatTemplate> t = ChatTemplate::load(o->model);
    if (!t.ok()) std::exit(cli_fail("render-chat", std::string(t.status().message())));
    std::FILE* out = stdout;
    if (!o->output.empty() && !(out = std::fopen(o->output.c_str(), "w"))) {
      std::exit(cli_fail("render-chat", o->output + ": cannot open for writing"));
    }
    absl::Status st = jsonl_for_each_ordered(
        o->input, [&](const nlohmann::ordered_json& j, const std::string& where) -> absl::Status {
          if (!j.contains("messages") || !j["messages"].is_array()) {
            return absl::InvalidArgumentError(where + "needs \"messages\" (a list)");
          }
          ChatOptions opt;
          opt.extra = nlohmann::ordered_json::object();
          for (const auto& [k, v] : j.items()) {
            if (k == "messages") continue;
            if (k == "add_generation_prompt" || k == "enable_thinking") {
              if (!v.is_boolean())
                return absl::InvalidArgumentError(where + "\"" + k + "\" must be true or false");
              (k == "add_generation_prompt" ? opt.add_generation_prompt : opt.enable_thinking.emplace()) =
                  v.get<bool>();
            } else if (k == "tools") {
              opt.tools = v;
            } else {
              opt.extra[k] = v;
            }
          }
          absl::StatusOr<std::string> text = t->render_json(j["messages"], opt);
          // A template refusing this conversation is an answer for this line; anything else (no jinja2,
          // a helper that hangs) stops the command.
          if (!text.ok() && !absl::IsInvalidArgument(text.status())) return text.status();
          const nlohmann::ordered_json r = text.ok()
                                               ? nlohmann::ordered_json{{"text", *text}}
                                               : nlohmann::ordered_json{{"error", text.status().message()}};
          const std::string line = r.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
          if (std::fprintf(out, "%s\n", line.c_str()) < 0 || std::fflush(out) != 0) {
            return absl::UnavailableError("the output is closed");  // SIGPIPE is ignored (the jinja2 helper)
          }
          return absl::OkStatus();
        });
    if (out != stdout) std::fclose(out);
    if (!st.ok()) std::exit(cli_fail("render-chat", std::string(st.message())));
  });
}

}  // namespace ascent
