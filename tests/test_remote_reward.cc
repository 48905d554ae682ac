// The gRPC RewardService path against the example Python server (examples/reward_server/server.py, Debian's
// python3-grpcio) over a real socket: batched scoring, and a slow, a NaN and a raising item each costing only
// their own reward within the deadline.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "rewards/remote_reward.h"

extern char** environ;  // POSIX: the process environment (global, C linkage)

namespace ascent {

namespace {

// Starts the example server on a free port; stops it at scope exit.
class PythonServer {
 public:
  PythonServer() {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    const std::string script = ASCENT_SOURCE_DIR "/examples/reward_server/server.py";
    char* argv[] = {const_cast<char*>("/usr/bin/python3"),
                    const_cast<char*>(script.c_str()),
                    const_cast<char*>("--port"),
                    const_cast<char*>("0"),
                    const_cast<char*>("--test-behaviours"),
                    nullptr};
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[128] = {0};
    if (out && std::fgets(line, sizeof line, out) && std::sscanf(line, "listening on %d", &port_) == 1) {
      address_ = "127.0.0.1:" + std::to_string(port_);
    }
    if (out) std::fclose(out);
  }
  ~PythonServer() {
    if (pid_ > 0) kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string address_;
};

TEST(RemoteReward, ScoresABatchAndIsolatesSlowNanAndRaisingItems) {
  PythonServer server;
  ASSERT_FALSE(server.address().empty()) << "the example server did not start (python3-grpcio installed?)";
  RemoteOptions o;
  o.address = server.address();
  o.batch_timeout_s = 1.0, o.item_timeout_s = 1.0, o.retries = 0;
  RemoteReward remote(o);
  // A good batch first: one RPC.
  std::vector<ComponentResult> r = remote.score({{"p", "the answer is 42", "42"}, {"p", "7", "8"}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok) << r[0].reason;
  EXPECT_EQ(r[0].value, 1.0);
  EXPECT_TRUE(r[1].ok);
  EXPECT_EQ(r[1].value, 0.0);
  EXPECT_EQ(remote.stats().batch_failures, 0);

  const auto t0 = std::chrono::steady_clock::now();
  r = remote.score(
      {{"p", "so 5", "5"}, {"p", "SLOW", "1"}, {"p", "NAN", "1"}, {"p", "RAISE", "1"}, {"p", "9", "9"}});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r[0].ok && r[0].value == 1.0) << r[0].reason;
  EXPECT_FALSE(r[1].ok);
  EXPECT_NE(r[1].reason.find("DEADLINE_EXCEEDED"), std::string::npos) << r[1].reason;
  EXPECT_FALSE(r[2].ok);
  EXPECT_EQ(r[2].reason, "server returned NaN");
  EXPECT_FALSE(r[3].ok);
  EXPECT_NE(r[3].reason.find("ValueError: cannot score this on purpose"), std::string::npos) << r[3].reason;
  EXPECT_TRUE(r[4].ok && r[4].value == 1.0) << r[4].reason;
  EXPECT_EQ(remote.stats().batch_failures, 1);
  EXPECT_LT(took, 10.0);  // about 2 s (batch + item deadlines), not the server's 30 s sleep; room for load
}

TEST(RemoteReward, ServerDownIsAnErrorPerItemNotAHang) {
  RemoteOptions o;
  o.address = "127.0.0.1:1";  // nothing listens there
  o.batch_timeout_s = 2, o.item_timeout_s = 2, o.retries = 1;
  RemoteReward remote(o);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ComponentResult> r = remote.score({{"p", "1", "1"}, {"p", "2", "2"}});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20.0);
  for (const ComponentResult& c : r) {
    EXPECT_FALSE(c.ok);
    EXPECT_NE(c.reason.find("reward server: "), std::string::npos) << c.reason;
  }
}

}  // namespace

}  // namespace ascent
