// The Python tool's sandbox (tools/python_sandbox.h): what a policy's program may try, each contained and
// reported as a tool error while the caller goes on: an endless loop, a fork bomb, a 1 GB allocation, 100 MB
// of output, a socket to a port the caller listens on, reading the caller's files, killing its parent and
// every process it can see. Skips (77) where the machine refuses the namespaces (a container without them).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tools/python_sandbox.h"

namespace ascent {
namespace {

using Clock = std::chrono::steady_clock;

ToolDeadline in_s(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Processes of uid `uid` now (from /proc).
int processes_of(uid_t uid) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st;
    if (stat(e.path().c_str(), &st) == 0 && st.st_uid == uid) ++n;
  }
  return n;
}

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = PythonSandbox::create();
    ASSERT_TRUE(s.ok()) << s.status();
    sb_ = *std::move(s);
    const ToolOutput probe = sb_->run_code("print(6*7)", in_s(30));
    if (!probe.ok && probe.text.find("ascent sandbox:") != std::string::npos) {
      GTEST_SKIP() << "namespaces refused here: " << probe.text;
    }
  }
  std::unique_ptr<PythonSandbox> sb_;
};

TEST_F(Sandbox, RunsAProgramAndReturnsWhatItPrints) {
  ToolOutput o = sb_->run_code("import math\nprint(6*7)\nprint(math.comb(10, 3))", in_s(30));
  EXPECT_TRUE(o.ok) << o.text;
  EXPECT_EQ(o.text, "42\n120\n");
  o = sb_->run({{"code", "print(sum(range(101)))"}}, in_s(30));
  EXPECT_EQ(o.text, "5050\n");
  o = sb_->run({{"program", "1"}}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorBadArguments);
  // A traceback is a failed call whose message is the traceback.
  o = sb_->run_code("1/0", in_s(30));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_kind, kToolErrorFailed);
  EXPECT_NE(o.text.find("ZeroDivisionError"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("[exit code 1]"), std::string::npos) << o.text;
}

TEST_F(Sandbox, AnEndlessLoopIsStoppedAtTheDeadline) {
  ToolOutput o = sb_->run_code("print('start', flush=True)\nwhile True: pass", in_s(3.0));
  EXPECT_EQ(o.error_kind, kToolErrorTimeout) << o.text;
  EXPECT_NE(o.text.find("start"), std::string::npos) << o.text;
  // Closing its output and sleeping (no CPU time spent) does not outlast the deadline either.
  o = sb_->run_code("import os, time\nos.close(1)\nos.close(2)\ntime.sleep(1e9)", in_s(2.0));
  EXPECT_EQ(o.error_kind, kToolErrorTimeout) << o.text;
}

TEST_F(Sandbox, AForkBombDiesWithItsSandbox) {
  const int before = processes_of(65534);
  const ToolOutput o = sb_->run_code(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", in_s(2.0));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_kind, kToolErrorTimeout) << o.text;
  // Nothing it started outlives it (its PID namespace went with it).
  for (int i = 0; i < 50 && processes_of(65534) > before; ++i) usleep(100000);
  EXPECT_EQ(processes_of(65534), before);
}

TEST_F(Sandbox, AGigabyteAllocationFails) {
  const ToolOutput o = sb_->run_code("x = bytearray(1 << 30)\nprint('allocated')", in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorFailed) << o.text;
  EXPECT_NE(o.text.find("MemoryError"), std::string::npos) << o.text;
}

TEST_F(Sandbox, HundredMegabytesOfOutputAreCut) {
  const ToolOutput o =
      sb_->run_code("import sys\nfor _ in range(100):\n    sys.stdout.write('y' * 1000000)", in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorOutputLimit);
  EXPECT_LT(o.text.size(), size_t{70} << 10);
  EXPECT_NE(o.text.find("yyyy"), std::string::npos);
}

TEST_F(Sandbox, NoNetworkEvenToThisMachine) {
  const int srv = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(srv, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(srv, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  const ToolOutput o = sb_->run_code(
      "import socket\nsocket.create_connection(('127.0.0.1', " + std::to_string(port) + "), timeout=3)",
      in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorFailed) << o.text;
  EXPECT_TRUE(o.text.find("Network is unreachable") != std::string::npos ||
              o.text.find("Connection refused") != std::string::npos)
      << o.text;
  // Nobody reached the caller's port.
  const int fl = fcntl(srv, F_GETFL);
  fcntl(srv, F_SETFL, fl | O_NONBLOCK);
  EXPECT_LT(accept(srv, nullptr, nullptr), 0);
  close(srv);
}

TEST_F(Sandbox, TheCallersFilesAreNotThere) {
  const std::string secret =
      std::filesystem::temp_directory_path() / ("ascent_sandbox_secret_" + std::to_string(getpid()) + ".txt");
  std::ofstream(secret) << "the run's token";
  for (const std::string& path : {secret, std::string("/etc/passwd"), std::string("/proc/1/environ"),
                                  std::string("../../etc/hostname")}) {
    const ToolOutput o = sb_->run_code("print(open('" + path + "').read())", in_s(30));
    EXPECT_EQ(o.error_kind, kToolErrorFailed) << path << ": " << o.text;
    EXPECT_NE(o.text.find("FileNotFoundError"), std::string::npos) << path << ": " << o.text;
  }
  // The classic chroot escape (chroot into a subdirectory, climb, chroot to "."): no capability allows it.
  const ToolOutput esc = sb_->run_code(
      "import os\nos.mkdir('x')\nos.chroot('x')\nos.chdir('../' * 20)\nos.chroot('.')\n"
      "print(open('" +
          secret + "').read())",
      in_s(30));
  EXPECT_EQ(esc.error_kind, kToolErrorFailed) << esc.text;
  EXPECT_NE(esc.text.find("PermissionError"), std::string::npos) << esc.text;
  EXPECT_EQ(esc.text.find("the run's token"), std::string::npos) << esc.text;
  // Its own directory is writable, and gone at the next call.
  EXPECT_EQ(sb_->run_code("open('a.txt','w').write('x')\nprint(open('a.txt').read())", in_s(30)).text, "x\n");
  EXPECT_EQ(sb_->run_code("import os\nprint(os.listdir('.'))", in_s(30)).text, "[]\n");
  std::filesystem::remove(secret);
}

TEST_F(Sandbox, KillingItsParentOrEveryoneKillsOnlyItself) {
  const std::string me = std::to_string(getpid());
  // Its parent is outside its PID namespace: getppid() is 0 there, and the caller's pid names nothing.
  ToolOutput o = sb_->run_code("import os\nprint(os.getppid())", in_s(30));
  EXPECT_EQ(o.text, "0\n");
  o = sb_->run_code("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')", in_s(30));
  o = sb_->run_code("import os, signal\ntry:\n    os.kill(" + me +
                        ", signal.SIGKILL)\nexcept OSError as e:\n    print(type(e).__name__)",
                    in_s(30));
  EXPECT_TRUE(o.ok) << o.text;
  EXPECT_NE(o.text.find("ProcessLookupError"), std::string::npos) << o.text;
  o = sb_->run_code("import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('after')", in_s(30));
  // Still here, and the sandbox still works.
  EXPECT_EQ(sb_->run_code("print('next')", in_s(30)).text, "next\n");
}

}  // namespace
}  // namespace ascent
