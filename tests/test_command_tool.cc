// A user's program as a tool (tools/command_tool.h): the call's arguments arrive as JSON on its standard input
// and what it prints comes back; a failing, missing, hanging (with a child of its own) or flooding program is
// an error of its kind, and nothing it started outlives the call.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tools/command_tool.h"

namespace ascent {
namespace {

ToolDeadline in_s(double s) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

CommandTool sh(const std::string& script, int64_t max_bytes = 64 << 10) {
  CommandToolSpec s;
  s.name = "t";
  s.argv = {"sh", "-c", script};
  s.max_output_bytes = max_bytes;
  return CommandTool(s);
}

// Processes whose command line holds `needle` (from /proc).
int processes_with(const std::string& needle) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream f(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (char& c : cmd) c = c == '\0' ? ' ' : c;
    n += cmd.find(needle) != std::string::npos && cmd.find("sh -c") == std::string::npos;
  }
  return n;
}

TEST(CommandTool, ArgumentsInOutputOut) {
  const ToolOutput o = sh("read line; echo \"got $line\"").run({{"word", "ab"}, {"n", 3}}, in_s(30));
  EXPECT_TRUE(o.ok) << o.text;
  EXPECT_EQ(o.text, "got {\"word\":\"ab\",\"n\":3}\n");
  CommandToolSpec s;
  s.name = "lookup", s.description = "finds", s.parameters = {{"type", "object"}};
  const nlohmann::ordered_json schema = CommandTool(s).schema();
  EXPECT_EQ(schema["function"]["name"], "lookup");
  EXPECT_EQ(schema["function"]["parameters"]["type"], "object");
  // A program that never reads its input is fine too.
  EXPECT_EQ(sh("echo hi").run({{"x", std::string(100000, 'x')}}, in_s(30)).text, "hi\n");
}

TEST(CommandTool, FailuresAreErrorsOfTheirKind) {
  ToolOutput o = sh("echo oops >&2; exit 3").run({}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorFailed);
  EXPECT_EQ(o.text, "oops\n[exit code 3]");
  o = sh("kill -SEGV $$").run({}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorFailed);
  EXPECT_NE(o.text.find("killed by signal 11"), std::string::npos) << o.text;
  CommandToolSpec missing;
  missing.name = "m";
  missing.argv = {"/nonexistent/ascent-tool"};
  o = CommandTool(missing).run({}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorFailed);
  EXPECT_NE(o.text.find("cannot run the command"), std::string::npos) << o.text;
  o = sh("yes", 1000).run({}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorOutputLimit);
  EXPECT_NE(o.text.find("more than 1000 bytes"), std::string::npos);
}

TEST(CommandTool, ArgumentsTooLongAreRefusedNotCut) {
  const ToolOutput o = sh("cat > /dev/null; echo read").run({{"x", std::string(4 << 20, 'x')}}, in_s(30));
  EXPECT_EQ(o.error_kind, kToolErrorBadArguments) << o.text.substr(0, 200);
  EXPECT_NE(o.text.find("too long"), std::string::npos);
}

TEST(CommandTool, AHangIsStoppedWithEverythingItStarted) {
  const ToolOutput o = sh("sleep 4321 & echo started; sleep 4321").run({}, in_s(1.0));
  EXPECT_EQ(o.error_kind, kToolErrorTimeout) << o.text;
  EXPECT_NE(o.text.find("started"), std::string::npos);
  for (int i = 0; i < 50 && processes_with("sleep 4321") > 0; ++i) usleep(100000);
  EXPECT_EQ(processes_with("sleep 4321"), 0);
  // Closing its output and sleeping on does not outlast the deadline.
  const ToolOutput quiet = sh("exec >&- 2>&-; sleep 4322").run({}, in_s(1.0));
  EXPECT_EQ(quiet.error_kind, kToolErrorTimeout) << quiet.text;
  for (int i = 0; i < 50 && processes_with("sleep 4322") > 0; ++i) usleep(100000);
  EXPECT_EQ(processes_with("sleep 4322"), 0);
}

}  // namespace
}  // namespace ascent
