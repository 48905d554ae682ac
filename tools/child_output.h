// A tool's child process, collected: its output (standard output and error on one pipe) until it ends, passes a
// size cap or its deadline, then its exit; and the tool's answer from that. Shared by the Python sandbox and
// command tools.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "tools/tool.h"

namespace ascent {

struct ChildOutcome {
  std::string output;
  bool timed_out = false, too_long = false;
  int status = 0;  // waitpid's
};

// Reads `fd` until EOF, more than max_bytes, or the deadline, then waits for `pid` to exit up to the deadline,
// and closes fd; past the deadline or the cap it sends SIGKILL to `kill_target` (a pid, or -pgid for a process
// group) and to pid, then reaps pid. status is -1 when pid cannot be reaped.
ChildOutcome child_collect(pid_t pid, pid_t kill_target, int fd, ToolDeadline deadline, int64_t max_bytes);

// In a child between fork/clone and exec (async-signal-safe): closes every descriptor from 3 up
// (close_range, or one by one on kernels before 5.9).
void child_close_from_3();

// The answer: ok with the output on exit 0; timeout with the output so far; output_limit with the first
// max_bytes; failed with the output and "[exit code N]" or "[killed by signal S (...)]".
ToolOutput child_tool_output(ChildOutcome o, int64_t max_bytes);

}  // namespace ascent
