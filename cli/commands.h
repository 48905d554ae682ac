// The `ascent` subcommands. Each registers itself on the app; the logic lives in the libraries.
#pragma once

#include "CLI/CLI.hpp"

namespace ascent {

void cli_add_init_model(CLI::App& app);
void cli_add_generate(CLI::App& app);
void cli_add_score(CLI::App& app);
void cli_add_fit(CLI::App& app);
void cli_add_reward(CLI::App& app);
void cli_add_tokenize(CLI::App& app);
void cli_add_import(CLI::App& app);
void cli_add_render_chat(CLI::App& app);
void cli_add_version(CLI::App& app);
void cli_add_actor(CLI::App& app);
void cli_add_learner(CLI::App& app);
void cli_add_train(CLI::App& app);
void cli_add_launch(CLI::App& app);
void cli_add_sft(CLI::App& app);
void cli_add_merge_lora(CLI::App& app);

// Prints "ascent <cmd>: <message>" to stderr and returns exit code 1; used by every subcommand on failure.
int cli_fail(const char* cmd, const std::string& message);

}  // namespace ascent
