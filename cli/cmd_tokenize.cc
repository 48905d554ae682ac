// `ascent tokenize --tokenizer DIR|tokenizer.json --input FILE.jsonl [--output F] [--decode]
//                  [--add-special-tokens] [--skip-special-tokens]`
// Encode: lines {"text": ...} in, {"ids": [...]} out. Decode (--decode): lines {"ids": [...]} in, {"text":
// ...} out. Errors name file:line.
#include <cstdio>

#include "cli/commands.h"
#include "core/jsonl_input.h"
#include "model/tokenizer/hf_tokenizer.h"
#include "nlohmann/json.hpp"

namespace ascent {

void cli_add_tokenize(CLI::App& app) {
  struct Opts {
    std::string tokenizer, input, output;
    bool decode = false, add_special = false, skip_special = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("tokenize",
                                 "Encode text to token ids (or --decode ids to text) with a tokenizer.json");
  cmd->add_option("--tokenizer", o->tokenizer, "model directory or tokenizer.json")->required();
  cmd->add_option("--input", o->input, "JSONL: {\"text\"} per line (or {\"ids\"} with --decode)")->required();
  cmd->add_option("--output", o->output, "output JSONL (default: stdout)");
  cmd->add_flag("--decode", o->decode, "ids to text");
  cmd->add_flag("--add-special-tokens", o->add_special,
                "add the post-processor's tokens (e.g. <|begin_of_text|>)");
  cmd->add_flag("--skip-special-tokens", o->skip_special, "leave special tokens out when decoding");
  cmd->callback([o] {
    absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(o->tokenizer);
    if (!tok.ok()) std::exit(cli_fail("tokenize", std::string(tok.status().message())));
    std::FILE* out = stdout;
    if (!o->output.empty() && !(out = std::fopen(o->output.c_str(), "w"))) {
      std::exit(cli_fail("tokenize", o->output + ": cannot open for writing"));
    }
    // Each line is written as soon as it is done: an error later keeps the lines before it.
    absl::Status st =
        jsonl_for_each(o->input, [&](const nlohmann::json& j, const std::string& where) -> absl::Status {
          nlohmann::json r;
          if (o->decode) {
            if (!j.contains("ids") || !j["ids"].is_array()) {
              return absl::InvalidArgumentError(where + "needs \"ids\" (a list)");
            }
            std::vector<int32_t> ids;
            for (const auto& x : j["ids"]) {
              if (!x.is_number_integer() || x.get<int64_t>() < 0 ||
                  x.get<int64_t>() >= (*tok)->vocab_size()) {
                return absl::InvalidArgumentError(where + "\"ids\" holds " + x.dump() +
                                                  ", not a token id in [0, " +
                                                  std::to_string((*tok)->vocab_size()) + ")");
              }
              ids.push_back(x.get<int32_t>());
            }
            r["text"] = (*tok)->decode(ids, o->skip_special);
          } else {
            if (!j.contains("text") || !j["text"].is_string()) {
              return absl::InvalidArgumentError(where + "needs \"text\" (a string)");
            }
            absl::StatusOr<std::vector<int32_t>> ids =
                (*tok)->encode(j["text"].get<std::string>(), o->add_special);
            if (!ids.ok()) return absl::InvalidArgumentError(where + std::string(ids.status().message()));
            r["ids"] = *ids;
          }
          std::fprintf(out, "%s\n", r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
          return absl::OkStatus();
        });
    if (out != stdout) std::fclose(out);
    if (!st.ok()) std::exit(cli_fail("tokenize", std::string(st.message())));
  });
}

}  // namespace ascent
