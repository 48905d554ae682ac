// A reward plugin run out of process (include/ascent/reward_plugin.h; protocol in plugin_worker.h).
// PluginReward starts an ascent-reward-worker, sends it a batch and reads one result per item, each within
// `item_timeout_s`. When the worker hangs (timeout) or dies (crash, killed for memory) on an item, that item
// is retried `retries` times in a fresh worker, then recorded as an error with its reason, and the batch goes
// on from the next item in a fresh worker. A plugin that cannot start (not found, wrong ABI version, create()
// failed) fails every item at once with that reason, without retries. Nothing a plugin does stops the
// trainer. Worry-free costs: one process per plugin, a restart per failure.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rewards/reward_types.h"

namespace ascent {

struct PluginOptions {
  std::string path;                // the plugin's shared library
  std::string config_json = "{}";  // passed to create()
  std::string worker_path;  // empty: $ASCENT_REWARD_WORKER, else next to this executable, else the build's
  double item_timeout_s = 10;
  double start_timeout_s = 30;
  int retries = 1;
  int64_t memory_mb = 0;  // address-space limit of the worker; 0 = none
};

struct PluginStats {
  int64_t scored = 0, errors = 0, timeouts = 0, crashes = 0, invalid = 0, restarts = 0;
};

class PluginReward {
 public:
  explicit PluginReward(PluginOptions opt);
  ~PluginReward();
  PluginReward(const PluginReward&) = delete;
  PluginReward& operator=(const PluginReward&) = delete;

  std::vector<ComponentResult> score(const std::vector<RewardInput>& items);
  const PluginStats& stats() const { return stats_; }
  const std::string& name() const { return name_; }

 private:
  bool start(std::string* why);                   // spawns the worker and reads its hello
  void stop(std::string* how, int grace_ms = 0);  // reaps (or kills) it; `how` says how it ended
  PluginOptions opt_;
  PluginStats stats_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string name_, start_error_;
};

// Where the worker executable is (see PluginOptions::worker_path).
std::string plugin_worker_path(const std::string& given);

}  // namespace ascent
