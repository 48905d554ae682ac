// Rewards from a remote gRPC RewardService (proto/reward.proto), served by anything (Python example in
// examples/reward_server/). Batches of up to `max_batch` items are sent with a `batch_timeout_s` deadline; a
// batch that fails (deadline exceeded, server error, wrong result count) is retried item by item with
// `item_timeout_s` each and `retries` extra tries, so only the items that fail again are recorded as errors
// (with the gRPC status as the reason). Non-finite rewards are errors. Nothing here throws or aborts.
//
// A server can also be started by ascent (`command`): start() runs it in `command_dir` with a pipe as its
// stdin and waits up to start_timeout_s for its first stdout line, "listening on PORT" (the example servers
// print it for --port 0), then talks to 127.0.0.1:PORT. Every call carries a bearer token ("authorization:
// Bearer <token>", docs/security.md): a server that ascent starts gets a new random one in its environment
// (ASCENT_REWARD_TOKEN); a running server's comes from the variable `token_env` names (an item fails, saying
// so, when it is unset). A started server that exits is started again before
// the next batch (at most max_restarts times; then every item fails with the reason). Closing the pipe
// (this object's end, or the process's death) tells the server to exit; it is killed 1 s later.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rewards/reward_types.h"

namespace ascent {

struct RemoteOptions {
  std::string address;               // host:port; set by start() when `command` is given
  std::vector<std::string> command;  // argv of a server that ascent starts (argv[0] searched in PATH)
  std::string command_dir;           // its working directory ("" = ours)
  std::string token_env = "ASCENT_REWARD_TOKEN";  // the environment variable with a running server's token
  std::string token;  // set: this token (tests); else token_env's value, or a new one for a started server
  // A running server's CA (PEM file): the channel uses TLS and checks the server's certificate against it
  // ("" = plaintext; the servers ascent starts listen on 127.0.0.1).
  std::string tls_ca;
  double start_timeout_s = 60;
  int max_restarts = 5;
  double batch_timeout_s = 30, item_timeout_s = 10;
  int retries = 1;
  int max_batch = 256;
};

struct RemoteStats {
  int64_t scored = 0, errors = 0, batch_failures = 0, restarts = 0;
};

class RemoteReward {
 public:
  explicit RemoteReward(RemoteOptions opt);
  ~RemoteReward();
  // Starts the server when `command` is given (else nothing to do). Errors name the command and say what
  // it printed or why it could not start. score() calls it when needed.
  absl::Status start();
  std::vector<ComponentResult> score(const std::vector<RewardInput>& items);
  const RemoteStats& stats() const { return stats_; }

 private:
  struct Impl;
  absl::Status ensure_server();
  std::unique_ptr<Impl> impl_;
  RemoteOptions opt_;
  RemoteStats stats_;
};

}  // namespace ascent
