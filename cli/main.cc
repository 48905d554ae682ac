#include "cli/commands.h"
#include "core/memory.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

int main(int argc, char** argv) {
  memory_keep_freed_pages();
  CLI::App app{"ascent: reinforcement-learning post-training of language models"};
  app.require_subcommand(1);
  cli_add_init_model(app);
  cli_add_generate(app);
  cli_add_score(app);
  cli_add_fit(app);
  cli_add_reward(app);
  cli_add_tokenize(app);
  cli_add_import(app);
  cli_add_render_chat(app);
  cli_add_train(app);
  cli_add_launch(app);
  cli_add_learner(app);
  cli_add_actor(app);
  cli_add_sft(app);
  cli_add_merge_lora(app);
  cli_add_version(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
