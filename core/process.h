// Child processes for `ascent train`: start a command (argv, no shell), poll or wait for any child, signal.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

// Starts argv[0] (searched in PATH) with argv; stdin, stdout and stderr inherited. own_group: the child leads
// a new process group (its pid), so that signals sent to the caller's group (a terminal's Ctrl-C) miss it.
// `env`: changes to this process's environment for the child: "KEY=VALUE" sets KEY (replacing its value),
// a bare "KEY" removes it (a secret the child must not hold).
absl::StatusOr<pid_t> process_spawn(const std::vector<std::string>& argv, bool own_group = false,
                                    const std::vector<std::string>& env = {});
// This process's environment with `changes` applied as process_spawn describes.
std::vector<std::string> environment_with(const std::vector<std::string>& changes);

struct ProcessExit {
  pid_t pid = 0;  // 0: none exited
  int code = 0;   // exit code, or 128 + signal
  bool signaled = false;
  int signal = 0;
};
// How a child ended, from waitpid's status: "exit code 3" or "signal 11 (Segmentation fault)".
std::string process_exit_text(int wait_status);
// A child that exited, waiting up to timeout_ms (0: poll).
ProcessExit process_wait_any(int timeout_ms);
// Sends sig; false when the process does not exist (ESRCH) or cannot be signalled.
bool process_signal(pid_t pid, int sig);
// True while pid runs (a zombie, exited but not yet reaped, counts as gone).
bool process_alive(pid_t pid);
// The running executable (/proc/self/exe).
std::string process_self_path();

}  // namespace ascent
