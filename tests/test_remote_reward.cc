// The gRPC RewardService path against the example Python server (examples/reward_server/server.py, Debian's
// python3-grpcio) over a real socket: batched scoring, and a slow, a NaN and a raising item each costing only
// their own reward within the deadline; a server that ascent starts itself (`command`), started again after
// it dies, and one that cannot start; the server's token, and garbage on its socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "rewards/remote_reward.h"
#include "rewards/reward_pipeline.h"
#include "transport/tls.h"

extern char** environ;  // POSIX: the process environment (global, C linkage)

namespace ascent {

namespace {

// Starts the example server on a free port; stops it at scope exit.
constexpr char kToken[] = "test-token-of-the-example-server";

class PythonServer {
 public:
  explicit PythonServer(const std::vector<std::string>& extra = {}) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    const std::string script = ASCENT_SOURCE_DIR "/examples/reward_server/server.py";
    std::vector<std::string> args = {"/usr/bin/python3", script, "--port", "0", "--test-behaviours"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    setenv("ASCENT_REWARD_TOKEN", kToken, 1);  // the server's token (a started one gets its own)
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
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
    unsetenv("ASCENT_REWARD_TOKEN");
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
  o.token = kToken;
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
  // A sampled completion need not be valid UTF-8 (a byte-level model cut mid-character): it goes with U+FFFD
  // in its place and is scored, where the server's protobuf parser refused the whole batch before.
  r = remote.score({{"p", "it is 42 \xE2\x82", "42"}, {"p", "\xFF\xFE 3", "3"}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok && r[1].ok) << r[0].reason << " / " << r[1].reason;
  EXPECT_EQ(r[0].value, 1.0);
  EXPECT_EQ(r[1].value, 1.0);
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

// A server beyond loopback speaks TLS: ascent reaches it with the CA named in tls_ca; without TLS, with
// another CA, or with a file that is not a certificate, no item is scored and the reason says why.
TEST(RemoteReward, ATlsServerIsReachedWithItsCaAndNotWithoutIt) {
  char t1[] = "/tmp/ascent-reward-tls-XXXXXX", t2[] = "/tmp/ascent-reward-tls-XXXXXX";
  const std::string dir = mkdtemp(t1), other_dir = mkdtemp(t2);
  absl::StatusOr<TlsFiles> tls = tls_make_run_ca(dir, {});  // the server certificate names 127.0.0.1
  absl::StatusOr<TlsFiles> other = tls_make_run_ca(other_dir, {});
  ASSERT_TRUE(tls.ok() && other.ok()) << tls.status() << other.status();
  PythonServer server({"--tls-cert", tls->cert, "--tls-key", tls->key});
  ASSERT_FALSE(server.address().empty()) << "the example server did not start with TLS";
  auto score_with = [&](const std::string& ca) {
    RemoteOptions o;
    o.token = kToken;
    o.address = server.address();
    o.tls_ca = ca;
    o.batch_timeout_s = 2.0, o.item_timeout_s = 2.0, o.retries = 0;
    RemoteReward remote(o);
    return remote.score({{"p", "the answer is 42", "42"}});
  };
  std::vector<ComponentResult> r = score_with(tls->ca);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].ok && r[0].value == 1.0) << r[0].reason;
  r = score_with("");  // plaintext to a TLS port
  EXPECT_FALSE(r[0].ok);
  r = score_with(other->ca);  // a certificate this CA did not sign
  EXPECT_FALSE(r[0].ok);
  r = score_with(dir + "/no-such-ca.pem");
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("no-such-ca.pem"), std::string::npos) << r[0].reason;
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other_dir);
}

TEST(RemoteReward, AServerRefusesCallsWithoutItsTokenAndAscentSaysWhy) {
  PythonServer server;
  ASSERT_FALSE(server.address().empty()) << "the example server did not start (python3-grpcio installed?)";
  RemoteOptions o;
  o.token = kToken;
  o.address = server.address();
  o.batch_timeout_s = 5, o.item_timeout_s = 5, o.retries = 0;
  o.token = "not-the-token";
  RemoteReward wrong(o);
  std::vector<ComponentResult> r = wrong.score({{"p", "42", "42"}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("UNAUTHENTICATED"), std::string::npos) << r[0].reason;
  // A running server's token comes from the variable token_env names; unset, every item says so.
  o.token.clear();
  o.token_env = "ASCENT_TEST_UNSET_TOKEN_VARIABLE";
  unsetenv(o.token_env.c_str());
  RemoteReward none(o);
  r = none.score({{"p", "42", "42"}});
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].reason.find("no token: set ASCENT_TEST_UNSET_TOKEN_VARIABLE"), std::string::npos)
      << r[0].reason;
}

// Raw bytes on the server's socket: garbage, a cut HTTP/2 preface, 16 MB of junk; the server scores after.
TEST(RemoteReward, GarbageOnTheSocketLeavesTheServerServing) {
  PythonServer server;
  ASSERT_FALSE(server.address().empty()) << "the example server did not start (python3-grpcio installed?)";
  const int port = std::stoi(server.address().substr(server.address().rfind(':') + 1));
  auto send_raw = [port](const std::string& bytes) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    for (size_t at = 0; at < bytes.size();) {
      const ssize_t n = send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server hung up on the junk: as it should
      at += static_cast<size_t>(n);
    }
    close(fd);
  };
  std::string junk(1 << 20, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
  send_raw(junk);
  send_raw(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\x12\x04\0\0\0\0\0", 9));
  send_raw(std::string(16 << 20, 'A'));
  RemoteOptions o;
  o.token = kToken;
  o.address = server.address();
  RemoteReward remote(o);
  std::vector<ComponentResult> r = remote.score({{"p", "so 42", "42"}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].ok) << r[0].reason;
  EXPECT_EQ(r[0].value, 1.0);
}

TEST(RemoteReward, ServerDownIsAnErrorPerItemNotAHang) {
  RemoteOptions o;
  o.token = kToken;
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

const std::vector<std::string> kServerCommand = {"/usr/bin/python3",
                                                 ASCENT_SOURCE_DIR "/examples/reward_server/server.py",
                                                 "--port", "0", "--test-behaviours"};

TEST(RemoteReward, StartsItsServerAndStartsItAgainAfterItDies) {
  RemoteOptions o;  // no token given: the server ascent starts gets a new random one of its own
  o.command = {"/usr/bin/python3", "server.py", "--port", "0", "--test-behaviours"};  // relative to its dir
  o.command_dir = ASCENT_SOURCE_DIR "/examples/reward_server";
  o.batch_timeout_s = 5, o.item_timeout_s = 5, o.retries = 1, o.max_restarts = 1;
  RemoteReward remote(o);
  ASSERT_TRUE(remote.start().ok());
  std::vector<ComponentResult> r = remote.score({{"p", "it is 42", "42"}});
  ASSERT_TRUE(r[0].ok) << r[0].reason;
  EXPECT_EQ(r[0].value, 1.0);
  // EXIT ends the server mid-batch: the batch fails, the server is started again, and the items are scored
  // one by one on the new one: "7" is scored; the EXIT item kills that one too and ends as an error.
  r = remote.score({{"p", "7", "7"}, {"p", "EXIT", "1"}});
  EXPECT_EQ(remote.stats().batch_failures, 1);
  EXPECT_EQ(remote.stats().restarts, 1);
  EXPECT_TRUE(r[0].ok && r[0].value == 1.0) << r[0].reason;
  EXPECT_FALSE(r[1].ok);
  // With max_restarts 1 used up, the dead server is not started again: every item says so and how it ended.
  r = remote.score({{"p", "5", "5"}, {"p", "6", "6"}});
  EXPECT_EQ(remote.stats().restarts, 1);
  for (const ComponentResult& c : r) {
    EXPECT_FALSE(c.ok);
    EXPECT_NE(c.reason.find("not started again"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("exit code 3"), std::string::npos) << c.reason;
  }
}

// Without a verifier, the one remote component's raw value (not its weighted sum) decides "correct".
TEST(RemoteReward, OneRemoteScorerDecidesCorrectWithoutAVerifier) {
  RewardsConfig cfg;
  cfg.verifier = false;
  NamedRemote nr;
  nr.name = "task", nr.weight = 0.5;
  nr.options.command = kServerCommand;
  cfg.remote.push_back(nr);
  RewardPipeline pipeline(cfg, nullptr);
  ASSERT_TRUE(pipeline.start().ok());
  auto g = pipeline.score_groups({{{"p", "so 12", "12"}, {"p", "so 13", "12"}}})[0];
  EXPECT_TRUE(g[0].correct);
  EXPECT_EQ(g[0].reward, 0.5);
  EXPECT_FALSE(g[1].correct);
  cfg.remote.push_back(nr);  // two components: none decides alone
  cfg.remote.back().name = "other";
  RewardPipeline two(cfg, nullptr);
  g = two.score_groups({{{"p", "so 12", "12"}}})[0];
  EXPECT_EQ(g[0].reward, 1.0);
  EXPECT_FALSE(g[0].correct);
}

TEST(RemoteReward, AServerThatCannotStartIsAnErrorThatSaysWhy) {
  RemoteOptions o;
  o.token = kToken;
  o.command = {"/usr/bin/python3", "-c", "print('no port here')"};
  o.start_timeout_s = 20;
  absl::Status st = RemoteReward(o).start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("listening on PORT"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("no port here"), std::string::npos) << st.message();
  o.command = {"/nonexistent/reward-server"};
  st = RemoteReward(o).start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/reward-server"), std::string::npos) << st.message();
  o.command = {"/usr/bin/python3", "-c", "import time; time.sleep(30)"};  // silent: the start deadline
  o.start_timeout_s = 1;
  const auto t0 = std::chrono::steady_clock::now();
  st = RemoteReward(o).start();
  EXPECT_FALSE(st.ok());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

}  // namespace

}  // namespace ascent
