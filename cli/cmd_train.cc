#include "cli/commands.h"
#include "cli/stop_signal.h"
#include "job/launch.h"

namespace ascent {

void cli_add_train(CLI::App& app) {
  struct Opts {
    std::string recipe;
    bool resume = false, fresh = false, no_progress = false;
    int64_t actors = -1;
    double lost_after_s = 10;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("train", "Train with RL from a recipe: the learner and its actors on this machine");
  cmd->add_option("recipe", o->recipe, "recipe YAML")->required();
  cmd->add_flag("--resume", o->resume, "continue the run from its latest checkpoint");
  cmd->add_flag("--fresh", o->fresh, "delete runs/<name> and start over");
  cmd->add_option("--actors", o->actors, "actor processes (default: the recipe's run.actors)");
  cmd->add_option("--lost-after", o->lost_after_s, "seconds without a heartbeat before an actor is lost")
      ->capture_default_str();
  cmd->add_flag("--no-progress", o->no_progress, "no console progress line");
  cmd->callback([o] {
    auto r = recipe_load(o->recipe);
    if (!r.ok()) std::exit(cli_fail("train", std::string(r.status().message())));
    if (o->resume && o->fresh) std::exit(cli_fail("train", "--resume and --fresh exclude each other"));
    stop_signal_install([] { train_launch_interrupt(); }, [] { train_launch_abandon(); });
    LaunchOptions lo;
    lo.resume = o->resume, lo.fresh = o->fresh, lo.actors = o->actors, lo.lost_after_s = o->lost_after_s;
    lo.progress = !o->no_progress;
    auto code = train_launch(o->recipe, *r, lo);
    if (!code.ok()) std::exit(cli_fail("train", std::string(code.status().message())));
    if (*code != 0) std::exit(*code);
  });
}

}  // namespace ascent
