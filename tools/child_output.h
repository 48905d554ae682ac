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

// Reads `fd` until EOF, more than max_bytes, or the deadline, and closes it; in the last two cases sends SIGKILL
// to `kill_target` (a pid, or -pgid for a process group); then reaps `pid`.
ChildOutcome child_collect(pid_t pid, pid_t kill_target, int fd, ToolDeadline deadline, int64_t max_bytes);

// The answer: ok with the output on exit 0; timeout with the output so far; output_limit with the first
// max_bytes; failed with the output and "[exit code N]" or "[killed by signal S (...)]".
ToolOutput child_tool_output(ChildOutcome o, int64_t max_bytes);

}  // namespace ascent
