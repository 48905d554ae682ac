#include <cstdio>

#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "core/process.h"
#include "job/deploy.h"

namespace ascent {

void cli_add_launch(CLI::App& app) {
  struct Opts {
    std::string recipe, on;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "launch", "Launch a run on a cluster from its recipe's cluster: section (Slurm, Kubernetes or mpirun)");
  cmd->add_option("recipe", o->recipe, "recipe YAML with a cluster: section (docs/deploy.md)")->required();
  cmd->add_option("--on", o->on, "the scheduler: slurm, k8s or mpirun")->required();
  cmd->add_flag("--dry-run", o->dry_run,
                "write the files under <run dir>/deploy/ and print their paths only");
  cmd->callback([o] {
    auto r = recipe_load(o->recipe);
    if (!r.ok()) std::exit(cli_fail("launch", std::string(r.status().message())));
    auto plan = deploy_render(*r, o->recipe, o->on, process_self_path());
    if (!plan.ok()) std::exit(cli_fail("launch", std::string(plan.status().message())));
    for (const std::string& f : plan->files) std::printf("%s\n", f.c_str());
    const std::string submit = absl::StrJoin(plan->submit, " ");
    if (o->dry_run) {
      std::fprintf(stderr, "ascent launch: written; submit with: %s\n", submit.c_str());
      return;
    }
    std::fprintf(stderr, "ascent launch: %s\n", submit.c_str());
    std::fflush(stdout);
    auto pid = process_spawn(plan->submit);
    if (!pid.ok()) std::exit(cli_fail("launch", std::string(pid.status().message())));
    ProcessExit e;
    while (e.pid != *pid) e = process_wait_any(1000);
    if (e.code != 0) std::exit(cli_fail("launch", submit + " failed with " + std::to_string(e.code)));
  });
}

}  // namespace ascent
