#include "tools/child_output.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ascent {

ChildOutcome child_collect(pid_t pid, pid_t kill_target, int fd, ToolDeadline deadline, int64_t max_bytes) {
  ChildOutcome o;
  char buf[16384];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) {
      o.timed_out = true;
      break;
    }
    pollfd pf{fd, POLLIN, 0};
    const int r = poll(&pf, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EOF: nothing holds its output open any more
    o.output.append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(o.output.size()) > max_bytes) {
      o.too_long = true;
      break;
    }
  }
  // Its output ended: it may still run (it closed its output and sleeps). Wait for it up to the deadline.
  while (!o.timed_out && !o.too_long) {
    const pid_t r = waitpid(pid, &o.status, WNOHANG);
    if (r == pid) {
      close(fd);
      return o;
    }
    if (r < 0 && errno != EINTR) {
      o.status = -1;  // cannot be reaped (ECHILD): not a success
      close(fd);
      return o;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      o.timed_out = true;
      break;
    }
    usleep(2000);
  }
  kill(kill_target, SIGKILL);
  if (kill_target != pid) kill(pid, SIGKILL);
  while (waitpid(pid, &o.status, 0) < 0 && errno == EINTR) {
  }
  close(fd);
  return o;
}

void child_close_from_3() {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  rlimit r{};
  const int top =
      getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 65536 ? static_cast<int>(r.rlim_cur) : 65536;
  for (int fd = 3; fd < top; ++fd) close(fd);
}

ToolOutput child_tool_output(ChildOutcome o, int64_t max_bytes) {
  if (o.timed_out) {
    return tool_error(kToolErrorTimeout,
                      "the program ran past its deadline and was stopped; its output so far:\n" + o.output);
  }
  if (o.too_long) {
    o.output.resize(static_cast<size_t>(max_bytes));
    return tool_error(kToolErrorOutputLimit,
                      absl::StrCat("the program printed more than ", max_bytes,
                                   " bytes and was stopped; the first of them:\n", o.output));
  }
  if (o.status != -1 && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) return tool_ok(o.output);
  const std::string how = WIFEXITED(o.status) ? absl::StrCat("exit code ", WEXITSTATUS(o.status))
                                              : absl::StrCat("killed by signal ", WTERMSIG(o.status), " (",
                                                             strsignal(WTERMSIG(o.status)), ")");
  return tool_error(kToolErrorFailed,
                    o.output + (o.output.empty() || o.output.back() == '\n' ? "" : "\n") + "[" + how + "]");
}

}  // namespace ascent
