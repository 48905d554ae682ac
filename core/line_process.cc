#include "core/line_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/process.h"

extern char** environ;  // POSIX: the process environment (global, C linkage)

namespace ascent {

absl::StatusOr<LineProcess> LineProcess::start(const std::vector<std::string>& argv, const std::string& cwd,
                                               const std::vector<std::string>& env) {
  if (argv.empty()) return absl::InvalidArgumentError("LineProcess::start: an empty command");
  signal(SIGPIPE, SIG_IGN);  // a helper that died makes write() fail with EPIPE instead of killing us
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0)
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    close(to_child[0]), close(to_child[1]);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], STDOUT_FILENO);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());  // glibc >= 2.29
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text = environment_with(env);  // a key of `env` replaces the inherited one
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(to_child[0]), close(from_child[1]);
  if (rc != 0) {
    close(to_child[1]), close(from_child[0]);
    return absl::UnavailableError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  LineProcess p;
  p.pid_ = pid, p.in_ = to_child[1], p.out_ = from_child[0], p.name_ = argv[0];
  return p;
}

LineProcess::LineProcess(LineProcess&& o) noexcept {
  *this = std::move(o);
}

LineProcess& LineProcess::operator=(LineProcess&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_, in_ = o.in_, out_ = o.out_, buffer_ = std::move(o.buffer_), name_ = std::move(o.name_);
    exit_text_ = std::move(o.exit_text_), scanned_ = o.scanned_, max_line_bytes_ = o.max_line_bytes_;
    o.pid_ = 0, o.in_ = -1, o.out_ = -1, o.scanned_ = 0;
  }
  return *this;
}

LineProcess::~LineProcess() {
  stop();
}

bool LineProcess::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t w = waitpid(pid_, &status, WNOHANG);
  if (w == pid_ || (w < 0 && errno == ECHILD)) {
    if (w == pid_) exit_text_ = process_exit_text(status);
    pid_ = 0;
    stop();  // closes the pipes
    return false;
  }
  return true;
}

void LineProcess::stop() {
  if (in_ >= 0) close(in_);
  if (out_ >= 0) close(out_);
  in_ = out_ = -1;
  if (pid_ <= 0) return;
  for (int i = 0; i < 100; ++i) {  // stdin closed: a well-behaved helper exits
    int status = 0;
    const pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_ ||
        (w < 0 && errno == ECHILD)) {  // reaped here, or by someone else: never kill a reused pid
      if (w == pid_) exit_text_ = process_exit_text(status);
      pid_ = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

absl::StatusOr<std::string> LineProcess::request(const std::string& line, double timeout_s) {
  if (pid_ <= 0) return absl::UnavailableError(name_ + " is not running");
  const std::string msg = line + "\n";
  for (size_t done = 0; done < msg.size();) {
    const ssize_t w = write(in_, msg.data() + done, msg.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      stop();
      return absl::UnavailableError(absl::StrCat(name_, " exited (writing to it: ", std::strerror(err), ")"));
    }
    done += static_cast<size_t>(w);
  }
  return read_line(timeout_s);
}

absl::StatusOr<std::string> LineProcess::read_line(double timeout_s) {
  if (pid_ <= 0) return absl::UnavailableError(name_ + " is not running");
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    const size_t nl = buffer_.find('\n', scanned_);
    if (nl != std::string::npos) {
      std::string reply = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      scanned_ = 0;
      return reply;
    }
    scanned_ = buffer_.size();
    if (buffer_.size() > max_line_bytes_) {
      const size_t held = buffer_.size();
      stop();
      buffer_.clear(), scanned_ = 0;
      return absl::ResourceExhaustedError(absl::StrCat(
          name_, " sent ", held, " bytes without a newline (the limit is ", max_line_bytes_, ")"));
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stop();
      return absl::DeadlineExceededError(absl::StrCat(name_, " gave no reply within ", timeout_s, " s"));
    }
    pollfd pfd{out_, POLLIN, 0};
    const int pr = poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    char buf[65536];
    const ssize_t r = read(out_, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      stop();
      return absl::UnavailableError(
          absl::StrCat(name_, " exited before replying", exit_text_.empty() ? "" : " (" + exit_text_ + ")"));
    }
    buffer_.append(buf, static_cast<size_t>(r));
  }
}

}  // namespace ascent
