#include "tools/command_tool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
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
    child_close_from_3();
    execvp(argv[0], argv.data());
    const char* msg = "ascent tool: cannot run the command\n";
    (void)!write(2, msg, std::strlen(msg));
    _exit(127);
  }
  close(in[1]), close(out[1]);
  if (pid > 0) setpgid(pid, pid);  // its own group from here, even before its setsid: the kill reaches it
  if (pid < 0) {
    close(in[0]), close(out[0]);
    return tool_error(kToolErrorFailed, absl::StrCat(spec_.name, ": fork: ", strerror(errno)));
  }
  // The arguments go in at once (a turn's text fits the socket's buffer); arguments that do not are refused
  // rather than cut. A program that exits without reading them is no error.
  const ssize_t sent = send(in[0], input.data(), input.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(in[0]);
  const bool refused = sent >= 0 && static_cast<size_t>(sent) < input.size();
  ChildOutcome o = child_collect(pid, -pid, out[0], refused ? std::chrono::steady_clock::now() : deadline,
                                 spec_.max_output_bytes);
  if (refused) {
    return tool_error(kToolErrorBadArguments, absl::StrCat(spec_.name, ": arguments of ", input.size(),
                                                           " bytes are too long for the tool"));
  }
  return child_tool_output(std::move(o), spec_.max_output_bytes);
}

}  // namespace ascent
