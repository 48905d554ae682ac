#include "core/process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;  // POSIX: the process environment (global, C linkage)

namespace ascent {

std::vector<std::string> environment_with(const std::vector<std::string>& changes) {
  std::vector<std::string> out;
  auto key_of = [](const std::string& e) { return e.substr(0, e.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e), key = key_of(entry);
    bool changed = false;
    for (const std::string& c : changes) changed = changed || key_of(c) == key;
    if (!changed) out.push_back(entry);
  }
  for (const std::string& c : changes) {
    if (c.find('=') != std::string::npos) out.push_back(c);
  }
  return out;
}

absl::StatusOr<pid_t> process_spawn(const std::vector<std::string>& argv, bool own_group,
                                    const std::vector<std::string>& env) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);  // 0: a new group led by the child
  }
  pid_t pid = 0;
  std::vector<std::string> env_text = environment_with(env);
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  return pid;
}

std::string process_exit_text(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return absl::StrCat("signal ", WTERMSIG(wait_status), " (", strsignal(WTERMSIG(wait_status)), ")");
  }
  return absl::StrCat("exit code ", WEXITSTATUS(wait_status));
}

ProcessExit process_wait_any(int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      ProcessExit e;
      e.pid = pid;
      if (WIFSIGNALED(status)) {
        e.signaled = true, e.signal = WTERMSIG(status), e.code = 128 + e.signal;
      } else {
        e.code = WEXITSTATUS(status);
      }
      return e;
    }
    if (std::chrono::steady_clock::now() >= end) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool process_signal(pid_t pid, int sig) {
  return pid > 0 && kill(pid, sig) == 0;
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no procfs: kill(0) is all we know
  const size_t close = line.rfind(')');        // "pid (comm) S ...": comm may hold spaces and parentheses
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

std::string process_self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("ascent") : p.string();
}

}  // namespace ascent
