#include <atomic>

#include "cli/commands.h"
#include "cli/stop_signal.h"
#include "job/prompt_data.h"
#include "job/recipe.h"
#include "learner/learner_run.h"

namespace ascent {

void cli_add_learner(CLI::App& app) {
  struct Opts {
    std::string recipe;
    bool resume = false, fresh = false, requeue = false, no_progress = false;
    std::string bind, advertise;
    int64_t port = -1, processes = 0;
    double lost_after_s = 10;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("learner",
                         "Run the learner (rank 0 serves the actors; start ranks with mpirun for data "
                         "parallelism)");
  cmd->add_option("--recipe", o->recipe, "recipe YAML")->required();
  cmd->add_flag("--resume", o->resume, "continue from runs/<name>/checkpoints/latest");
  cmd->add_flag("--fresh", o->fresh, "delete runs/<name> first");
  cmd->add_flag(
      "--requeue", o->requeue,
      "a scheduler's (re)start: resume from the newest checkpoint if there is one, else start at step 0");
  cmd->add_option("--bind", o->bind, "overrides run.bind (the address the ports listen on)");
  cmd->add_option("--advertise", o->advertise,
                  "overrides run.advertise (the host actors dial; a scheduler knows it when the job runs)");
  cmd->add_option("--port", o->port, "RolloutService port (default: the recipe's run.port; 0: any)");
  cmd->add_option("--lost-after", o->lost_after_s, "seconds without a heartbeat before an actor is lost")
      ->capture_default_str();
  cmd->add_option("--processes", o->processes, "processes of the job, for compute/device_hours");
  cmd->add_flag("--no-progress", o->no_progress, "no console progress line");
  cmd->callback([o] {
    auto r = recipe_load(o->recipe);
    if (!r.ok()) std::exit(cli_fail("learner", std::string(r.status().message())));
    if (!o->bind.empty()) r->run.bind = o->bind;
    if (!o->advertise.empty()) r->run.advertise = o->advertise;
    auto coll = collective_from_environment();
    if (!coll.ok()) std::exit(cli_fail("learner", std::string(coll.status().message())));
    static std::atomic<bool> stop{false};
    stop_signal_install([] { stop = true; });
    LearnerOptions lo;
    lo.resume = o->resume, lo.fresh = o->fresh, lo.requeue = o->requeue, lo.port = o->port,
    lo.lost_after_s = o->lost_after_s;
    lo.progress = !o->no_progress, lo.processes = o->processes, lo.stop = &stop;
    PromptSet prompts;  // rank 0 leases them out; the other ranks train on what it broadcasts
    // An error on one rank ends them all (Collective::abort): the others may be waiting for it.
    auto fail = [&coll](const absl::Status& st) {
      const int code = cli_fail("learner", std::string(st.message()));
      (*coll)->abort(code);
      std::exit(code);
    };
    if ((*coll)->rank() == 0) {
      auto data = prompt_data_load(r->data, r->seed);
      if (!data.ok()) fail(data.status());
      prompts = std::move(*data);
    }
    absl::Status st = learner_run(*r, prompts, lo, **coll);
    if (!st.ok()) fail(st);
    if (stop) std::exit(130);
  });
}

}  // namespace ascent
