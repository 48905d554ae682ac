#include "rewards/plugin_host.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/process.h"
#include "rewards/frame_io.h"

extern char** environ;  // POSIX: the process environment (global, C linkage)

namespace ascent {

#ifndef ASCENT_REWARD_WORKER_BUILD_PATH
#define ASCENT_REWARD_WORKER_BUILD_PATH ""
#endif

std::string plugin_worker_path(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("ASCENT_REWARD_WORKER"); env && *env) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "ascent-reward-worker";
    if (std::filesystem::exists(beside)) return beside.string();
  }
  return ASCENT_REWARD_WORKER_BUILD_PATH;
}

PluginReward::PluginReward(PluginOptions opt) : opt_(std::move(opt)) {}

PluginReward::~PluginReward() {
  std::string how;
  stop(&how);
}

bool PluginReward::start(std::string* why) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    *why = absl::StrCat("socketpair: ", std::strerror(errno));
    return false;
  }
  const std::string worker = plugin_worker_path(opt_.worker_path);
  std::vector<std::string> args = {worker, "--plugin", opt_.path, "--config", opt_.config_json};
  if (opt_.memory_mb > 0) args.push_back("--memory-mb"), args.push_back(std::to_string(opt_.memory_mb));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  const int rc = posix_spawn(&pid_, worker.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    pid_ = -1;
    *why = absl::StrCat("cannot start the reward worker ", worker, ": ", std::strerror(rc));
    return false;
  }
  fd_ = sv[0];
  ++stats_.restarts;
  absl::StatusOr<nlohmann::json> hello = frame_read(fd_, static_cast<int>(opt_.start_timeout_s * 1000));
  if (!hello.ok() || !hello->value("ok", false)) {
    *why = hello.ok() ? hello->value("error", std::string("worker refused to start"))
                      : absl::StrCat("reward worker did not start: ", hello.status().message());
    std::string how;
    stop(&how);
    return false;
  }
  name_ = hello->value("name", "");
  return true;
}

void PluginReward::stop(std::string* how, int grace_ms) {
  if (fd_ >= 0) close(fd_), fd_ = -1;
  if (pid_ <= 0) return;
  int status = 0;
  // A worker that is ending on its own (a crash closes the channel just before the process is reapable) gets
  // `grace_ms` to be reaped as it is; one still running after that is killed.
  pid_t r = waitpid(pid_, &status, WNOHANG);
  for (int waited = 0; r == 0 && waited < grace_ms; ++waited) {
    usleep(1000);
    r = waitpid(pid_, &status, WNOHANG);
  }
  if (r == 0) {
    kill(pid_, SIGKILL);
    r = waitpid(pid_, &status, 0);
    *how = "killed";
  } else if (r == pid_ && (WIFSIGNALED(status) || WIFEXITED(status))) {
    *how = process_exit_text(status);
  }
  pid_ = -1;
}

std::vector<ComponentResult> PluginReward::score(const std::vector<RewardInput>& items) {
  std::vector<ComponentResult> out(items.size());
  std::vector<int> attempts(items.size(), 0);
  size_t next = 0;
  while (next < items.size()) {
    if (pid_ < 0) {
      std::string why;
      if (!start(&why)) {
        // Cannot start: every remaining item fails with the reason (a broken plugin is not retried).
        for (size_t k = next; k < items.size(); ++k) out[k] = {false, 0, why}, ++stats_.errors;
        return out;
      }
    }
    std::vector<PackedItem> req;
    req.reserve(items.size() - next);
    for (size_t k = next; k < items.size(); ++k) {
      req.push_back({items[k].prompt, items[k].completion, items[k].answer, items[k].metadata_json});
    }
    if (!frame_write_raw(fd_, frame_pack_items(req)).ok()) {
      std::string how;
      stop(&how);
      continue;  // the worker died between batches: restart and resend
    }
    const size_t base = next;
    while (next < items.size()) {
      absl::StatusOr<nlohmann::json> res = frame_read(fd_, static_cast<int>(opt_.item_timeout_s * 1000));
      if (res.ok() && res->value("i", static_cast<size_t>(-1)) == next - base) {
        ComponentResult& c = out[next];
        c.ok = res->value("ok", false);
        c.reason = res->value("reason", "");
        if (c.ok && (*res)["reward"].is_number()) {
          c.value = (*res)["reward"].get<double>();
          ++stats_.scored;
        } else {
          c.ok = false;
          if (c.reason.empty()) c.reason = "plugin gave no reward";
          ++stats_.errors, ++stats_.invalid;
        }
        ++next;
        continue;
      }
      // Timeout, crash or garbage on the item `next`: end this worker, retry the item or record the error.
      std::string how;
      const bool timed_out = absl::IsDeadlineExceeded(res.status());
      stop(&how, timed_out ? 0 : 2000);
      std::string reason = timed_out ? absl::StrFormat("timed out after %g s", opt_.item_timeout_s)
                           : res.ok() || absl::IsDataLoss(res.status())
                               ? absl::StrCat("worker sent garbage: ", res.status().message())
                               : absl::StrCat("worker crashed: ", how);
      if (++attempts[next] > opt_.retries) {
        out[next] = {
            false, 0,
            absl::StrCat(reason, attempts[next] > 1 ? absl::StrCat(" (", attempts[next], " tries)") : "")};
        ++stats_.errors;
        (timed_out ? stats_.timeouts : stats_.crashes) += 1;
        ++next;
      }
      break;  // restart the worker from `next`
    }
  }
  return out;
}

}  // namespace ascent
