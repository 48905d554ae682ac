// A helper process spoken to in lines: one request line on its stdin, one reply line on its stdout (stderr
// is inherited). Used where a well-kept library lives in another language (Python's jinja2 for chat
// templates). Not thread-safe: callers serialise requests. Starting one makes this process ignore SIGPIPE.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

class LineProcess {
 public:
  // Starts argv (argv[0] searched in PATH) in directory `cwd` ("" = ours), with our environment plus
  // `env` ("KEY=VALUE" each).
  static absl::StatusOr<LineProcess> start(const std::vector<std::string>& argv, const std::string& cwd = "",
                                           const std::vector<std::string>& env = {});
  LineProcess(LineProcess&& o) noexcept;
  LineProcess& operator=(LineProcess&& o) noexcept;
  LineProcess(const LineProcess&) = delete;
  ~LineProcess();  // closes stdin, waits up to 1 s, then SIGKILL

  // Writes `line` (no newline inside) and reads one reply line (without its newline). Unavailable when the
  // process exited or closed its stdout; DeadlineExceeded after timeout_s, ResourceExhausted for a line over
  // max_line_bytes (in both cases the process is then killed: its next reply could not be told apart).
  absl::StatusOr<std::string> request(const std::string& line, double timeout_s);
  // One line the process writes unasked (a greeting), with the same errors.
  absl::StatusOr<std::string> read_line(double timeout_s);
  bool running() const { return pid_ > 0; }
  // The longest reply line taken (bytes, default 64 MiB): a helper cannot make us hold more than this.
  void set_max_line_bytes(size_t n) { max_line_bytes_ = n; }
  // Whether the process still runs: one that exited is reaped here (never blocks).
  bool alive();
  // How a reaped process ended ("exit code 3", "signal 9 (Killed)"); "" while it runs or when we killed it.
  const std::string& exit_text() const { return exit_text_; }

 private:
  LineProcess() = default;
  void stop();
  pid_t pid_ = 0;
  int in_ = -1, out_ = -1;  // our ends: the child's stdin, the child's stdout
  std::string buffer_;      // bytes read past the last reply
  size_t scanned_ = 0;      // bytes of buffer_ known to hold no newline
  size_t max_line_bytes_ = size_t{64} << 20;
  std::string name_;
  std::string exit_text_;
};

}  // namespace ascent
