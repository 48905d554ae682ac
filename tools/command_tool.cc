#include "tools/command_tool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tools/child_output.h"

namespace ascent {

nlohmann::ordered_json CommandTool::schema() const {
  return {{"type", "function"},
          {"function",
           {{"name", spec_.name}, {"description", spec_.description}, {"parameters", spec_.parameters}}}};
}

ToolOutput CommandTool::run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const {
  const std::string input = arguments.dump() + "\n";
  std::vector<std::string> args = spec_.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Its standard input is a socket: the arguments go in with MSG_NOSIGNAL (a program that exits without
  // reading them raises no SIGPIPE here).
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return tool_error(kToolErrorFailed, absl::StrCat(spec_.name, ": socketpair: ", strerror(errno)));
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]);
    return tool_error(kToolErrorFailed, absl::StrCat(spec_.name, ": pipe: ", strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    setsid();
    if (dup2(in[1], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(127);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execvp(argv[0], argv.data());
    const char* msg = "ascent tool: cannot run the command\n";
    (void)!write(2, msg, std::strlen(msg));
    _exit(127);
  }
  close(in[1]), close(out[1]);
  if (pid < 0) {
    close(in[0]), close(out[0]);
    return tool_error(kToolErrorFailed, absl::StrCat(spec_.name, ": fork: ", strerror(errno)));
  }
  // The arguments fit the socket's buffer (a turn's text); what does not go in at once is cut off.
  (void)!send(in[0], input.data(), input.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(in[0]);
  return child_tool_output(child_collect(pid, -pid, out[0], deadline, spec_.max_output_bytes),
                           spec_.max_output_bytes);
}

}  // namespace ascent
