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
#include <set>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/process.h"
#include "core/run_dir.h"
#include "core/run_secret.h"
#include "core/sanitizers.h"
#include "learner/learner_config.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupt{false};
using Clock = std::chrono::steady_clock;

// Process groups of the children, for train_launch_abandon (a second Ctrl-C).
absl::Mutex g_groups_mu;
std::set<pid_t> g_groups ABSL_GUARDED_BY(g_groups_mu);

bool g_abandoned ABSL_GUARDED_BY(g_groups_mu) = false;

// Spawns under the lock, so that an abandon (another thread) either sees the child or stops the spawn.
absl::StatusOr<pid_t> spawn_in_group(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env) {
  absl::MutexLock l(&g_groups_mu);
  if (g_abandoned) return absl::CancelledError("stopping: a second interrupt");
  auto pid = process_spawn(argv, /*own_group=*/true, env);
  if (pid.ok()) g_groups.insert(*pid);
  return pid;
}

void forget_group(pid_t pid) {
  absl::MutexLock l(&g_groups_mu);
  g_groups.erase(pid);
}

// Where the learner's stop goes. The learner's rank 0 checkpoints and tells the other ranks; mpirun itself must
// not get the signal: it aborts the job (SIGTERM then SIGKILL to the ranks, cutting the checkpoint short), and
// Open MPI 4.1's mpirun was seen to hang in PMIx_server_finalize after an interrupt (1 run in 7).
class LearnerStop {
 public:
  LearnerStop(pid_t learner, bool under_mpirun, fs::path pid_file)
      : learner_(learner), under_mpirun_(under_mpirun), pid_file_(std::move(pid_file)) {}

  void request() {
    if (!requested_) requested_ = true, since_ = Clock::now();
  }
  // Called from the watch loop: sends the pending stop once its target is known.
  void poll() {
    if (!requested_ || sent_) return;
    pid_t target = learner_;
    if (under_mpirun_) {
      pid_t rank0 = 0;
      std::ifstream(pid_file_) >> rank0;
      // Rank 0 not up yet (loading the model): wait for it, then fall back to mpirun's own handling.
      const bool waited = std::chrono::duration<double>(Clock::now() - since_).count() > 10;
      if (rank0 > 0)
        target = rank0;
      else if (!waited)
        return;
    }
    // Rank 0 gone before it could be told (or its pid file stale): mpirun's own handling is what is left.
    if (!process_signal(target, SIGINT) && target != learner_) process_signal(learner_, SIGINT);
    sent_ = true;
  }

 private:
  pid_t learner_;
  bool under_mpirun_;
  fs::path pid_file_;
  bool requested_ = false, sent_ = false;
  Clock::time_point since_;
};

}  // namespace

void train_launch_interrupt() {
  g_interrupt = true;
}

void train_launch_abandon() {
  absl::MutexLock l(&g_groups_mu);
  g_abandoned = true;
  for (pid_t g : g_groups) kill(-g, SIGKILL);
}

absl::StatusOr<int> train_launch(const std::string& recipe_path, const Recipe& r, const LaunchOptions& o) {
  const std::string self = process_self_path();
  const std::string run_dir = learner_run_dir(r);
  // One run per directory: held by this launcher and every part it starts, until the last of them ends.
  absl::StatusOr<RunDirLock> lock = RunDirLock::acquire(run_dir);
  if (!lock.ok()) return lock.status();
  if (absl::Status st = lock->share_with_children(); !st.ok()) return st;
  const fs::path addr_file = fs::path(run_dir) / "learner.addr";
  const fs::path pid_file = fs::path(run_dir) / "learner.pid";
  std::error_code ec;
  fs::remove(addr_file, ec);
  fs::remove(pid_file, ec);
  const int64_t actors = o.actors >= 0 ? o.actors : r.run.actors;
  // The run's credentials (docs/security.md): the learner gets the secret, each actor only its own token.
  absl::StatusOr<std::string> secret = []() -> absl::StatusOr<std::string> {
    if (const char* env = std::getenv(kRunSecretEnv); env != nullptr && *env != '\0') return std::string(env);
    return run_secret_make();
  }();
  if (!secret.ok()) return secret.status();
  if (absl::Status st = run_secret_check(*secret, kRunSecretEnv); !st.ok()) return st;
  const int64_t processes = actors + r.run.learner_ranks;
  // Several processes share the machine: OpenMP workers that spin while waiting steal cores from the others
  // (the user's own setting wins).
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  // The children watch this process: if it dies without a word, they stop cleanly (cli/stop_signal.h).
  setenv("ASCENT_LAUNCHER_PID", std::to_string(getpid()).c_str(), /*overwrite=*/1);

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
  // Every child runs in its own process group: a terminal's Ctrl-C reaches this launcher alone, and the
  // launcher sends each part exactly one stop.
  std::vector<std::string> learner_env = {absl::StrCat(kRunSecretEnv, "=", *secret)};
#ifdef ASCENT_ASAN
  // AddressSanitizer builds (docs/testing.md): OpenMPI leaks at exit from components it has already unloaded,
  // where no suppression can name them. Learner ranks under mpirun are checked for memory errors, not leaks.
  if (r.run.learner_ranks > 1) {
    const char* asan = std::getenv("ASAN_OPTIONS");
    learner_env.push_back(absl::StrCat("ASAN_OPTIONS=", asan != nullptr ? asan : "", ":detect_leaks=0"));
  }
#endif
  auto learner = spawn_in_group(learner_argv, learner_env);
  if (!learner.ok()) return learner.status();
  LearnerStop learner_stop(*learner, r.run.learner_ranks > 1, pid_file);

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
    const std::string name = absl::StrCat("actor-", i);
    auto pid = spawn_in_group({self, "actor", "--learner", address, "--recipe", recipe_path, "--name", name},
                              {kRunSecretEnv, absl::StrCat(kActorTokenEnv, "=", actor_token(*secret, name))});
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
      if (e.pid) actor_of.erase(e.pid), forget_group(e.pid);
    }
    for (const auto& [p, i] : actor_of) process_signal(p, SIGKILL);
    while (!actor_of.empty()) {
      ProcessExit e = process_wait_any(1000);
      if (!e.pid) break;
      actor_of.erase(e.pid), forget_group(e.pid);
    }
  };

  int learner_code = -1;
  bool interrupted = false;
  absl::Status failure;
  while (learner_code < 0) {
    if (g_interrupt && !interrupted) {
      interrupted = true;
      learner_stop.request();
      for (pid_t p : actor_pid) process_signal(p, SIGINT);
    }
    learner_stop.poll();
    if (address.empty() && fs::exists(addr_file)) {
      std::ifstream(addr_file) >> address;
      if (!address.empty()) {
        for (int64_t i = 0; i < actors && failure.ok(); ++i) failure = start_actor(i);
        if (!failure.ok()) break;
      }
    }
    ProcessExit e = process_wait_any(100);
    if (!e.pid) continue;
    forget_group(e.pid);
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
      learner_stop.request();  // the learner checkpoints and stops
      interrupted = true;
      continue;
    }
    if (absl::Status st = start_actor(i); !st.ok()) failure = st;
  }
  stop_actors();
  if (!failure.ok()) return failure;
  // Stopped by a signal: 130 (128 + SIGINT) whatever the parts said, as a shell expects of an interrupt.
  if (g_interrupt && learner_code != 0) return 130;
  return learner_code;
}

}  // namespace ascent
