// `ascent train`: the whole job on this machine. Starts the learner (under mpirun when run.learner_ranks >
// 1), waits for its address (runs/<name>/learner.addr), starts run.actors actor processes against it, and
// then watches them all:
//  - an actor that dies (a crash, kill -9) is started again under the same name: the learner hands its
//    unfinished leases to the new incarnation; more than 5 deaths of one actor within a minute end the job;
//  - the learner's exit ends the job: actors get SIGTERM (then SIGKILL after 10 s), and the job's exit code
//    is the learner's;
//  - Ctrl-C (or SIGTERM) goes once to the learner (to rank 0 under mpirun: it checkpoints its last finished
//    step and tells the other ranks) and to the actors; the job then exits with 130. Each child runs in its
//    own process group, so a terminal's Ctrl-C reaches only this launcher; a second Ctrl-C after
//    kStopRepeatWindowS (cli/stop_signal.h) kills the children's groups without waiting for the checkpoint.
// Process ids are written to runs/<name>/pids.json (tests use them to kill parts).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "job/recipe.h"

namespace ascent {

struct LaunchOptions {
  bool resume = false, fresh = false;
  int64_t actors = -1;  // -1: the recipe's run.actors
  double lost_after_s = 10;
  bool progress = true;
};

// Returns the learner's exit code (0: the run finished; 130 after an interrupt), or an error of the launcher
// itself.
absl::StatusOr<int> train_launch(const std::string& recipe_path, const Recipe& r, const LaunchOptions& o);
// Set from a signal watcher: forwards SIGINT to every part.
void train_launch_interrupt();
// A second, deliberate interrupt: SIGKILL to every child's process group.
void train_launch_abandon();

}  // namespace ascent
