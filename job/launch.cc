#include "job/launch.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/process.h"
#include "learner/learner_config.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;

namespace {
std::atomic<bool> g_interrupt{false};
using Clock = std::chrono::steady_clock;
}  // namespace

void train_launch_interrupt() {
  g_interrupt = true;
}

absl::StatusOr<int> train_launch(const std::string& recipe_path, const Recipe& r, const LaunchOptions& o) {
  const std::string self = process_self_path();
  const std::string run_dir = learner_run_dir(r);
  const fs::path addr_file = fs::path(run_dir) / "learner.addr";
  std::error_code ec;
  fs::remove(addr_file, ec);
  const int64_t actors = o.actors >= 0 ? o.actors : r.run.actors;
  const int64_t processes = actors + r.run.learner_ranks;
  // Several processes share the machine: OpenMP workers that spin while waiting steal cores from the others
  // (the user's own setting wins).
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);

  std::vector<std::string> learner_argv;
  if (r.run.learner_ranks > 1) {
    learner_argv = {"mpirun",          "-np",       std::to_string(r.run.learner_ranks),
                    "--oversubscribe", "--bind-to", "none"};
    if (geteuid() == 0) learner_argv.push_back("--allow-run-as-root");
  }
  learner_argv.insert(learner_argv.end(),
                      {self, "learner", "--recipe", recipe_path, "--processes", std::to_string(processes),
                       "--lost-after", std::to_string(o.lost_after_s)});
  if (o.resume) learner_argv.push_back("--resume");
  if (o.fresh) learner_argv.push_back("--fresh");
  if (!o.progress) learner_argv.push_back("--no-progress");
  auto learner = process_spawn(learner_argv);
  if (!learner.ok()) return learner.status();

  std::map<pid_t, int64_t> actor_of;  // pid -> actor index
  std::vector<pid_t> actor_pid(static_cast<size_t>(actors), 0);
  std::vector<std::deque<Clock::time_point>> deaths(static_cast<size_t>(actors));
  std::string address;
  auto write_pids = [&] {
    nlohmann::json j = {{"learner", *learner}, {"actors", actor_pid}};
    std::ofstream(fs::path(run_dir) / "pids.json.tmp") << j.dump() << "\n";
    fs::rename(fs::path(run_dir) / "pids.json.tmp", fs::path(run_dir) / "pids.json", ec);
  };
  auto start_actor = [&](int64_t i) -> absl::Status {
    auto pid = process_spawn(
        {self, "actor", "--learner", address, "--recipe", recipe_path, "--name", absl::StrCat("actor-", i)});
    if (!pid.ok()) return pid.status();
    actor_pid[static_cast<size_t>(i)] = *pid;
    actor_of[*pid] = i;
    write_pids();
    return absl::OkStatus();
  };
  auto stop_actors = [&] {
    for (pid_t p : actor_pid) process_signal(p, SIGTERM);
    const auto end = Clock::now() + std::chrono::seconds(10);
    while (!actor_of.empty() && Clock::now() < end) {
      ProcessExit e = process_wait_any(100);
      if (e.pid) actor_of.erase(e.pid);
    }
    for (const auto& [p, i] : actor_of) process_signal(p, SIGKILL);
    while (!actor_of.empty()) {
      ProcessExit e = process_wait_any(1000);
      if (!e.pid) break;
      actor_of.erase(e.pid);
    }
  };

  int learner_code = -1;
  bool interrupted = false;
  absl::Status failure;
  while (learner_code < 0) {
    if (g_interrupt && !interrupted) {
      interrupted = true;
      process_signal(*learner, SIGINT);
      for (pid_t p : actor_pid) process_signal(p, SIGINT);
    }
    if (address.empty() && fs::exists(addr_file)) {
      std::ifstream(addr_file) >> address;
      if (!address.empty()) {
        for (int64_t i = 0; i < actors && failure.ok(); ++i) failure = start_actor(i);
        if (!failure.ok()) break;
      }
    }
    ProcessExit e = process_wait_any(100);
    if (!e.pid) continue;
    if (e.pid == *learner) {
      learner_code = e.code;
      break;
    }
    auto it = actor_of.find(e.pid);
    if (it == actor_of.end()) continue;
    const int64_t i = it->second;
    actor_of.erase(it);
    actor_pid[static_cast<size_t>(i)] = 0;
    if (e.code == 0 || interrupted) continue;  // finished with the run, or stopped by Ctrl-C
    auto& d = deaths[static_cast<size_t>(i)];
    d.push_back(Clock::now());
    while (!d.empty() && std::chrono::duration<double>(Clock::now() - d.front()).count() > 60) d.pop_front();
    std::fprintf(stderr, "ascent train: actor-%ld exited (%s %d); starting it again\n", static_cast<long>(i),
                 e.signaled ? "signal" : "code", e.signaled ? e.signal : e.code);
    if (d.size() > 5) {
      failure = absl::AbortedError(absl::StrCat("actor-", i, " died ", d.size(), " times within a minute"));
      process_signal(*learner, SIGINT);  // the learner checkpoints and stops
      interrupted = true;
      continue;
    }
    if (absl::Status st = start_actor(i); !st.ok()) failure = st;
  }
  stop_actors();
  if (!failure.ok()) return failure;
  return learner_code;
}

}  // namespace ascent
