// The Python tool: {"code": "print(6*7)"} -> "42\n", the program's standard output and error. Each call runs
// /usr/bin/python3 -I -B -c CODE in a fresh sandbox process (docs/agentic.md), so that whatever a policy
// writes (an endless loop, a fork bomb, 1 GB allocations, 100 MB of output, sockets, reads of the actor's
// files, kill(2) of its parent) is contained and comes back as a tool error while the actor goes on:
//   - Linux namespaces (clone(2)): its own PID namespace (the program is PID 1: when it dies or is killed,
//     everything it started dies with it), network (no interface but a down loopback), mount, IPC and UTS.
//     Run as root, the process then drops to uid/gid 65534 (nobody); otherwise a user namespace maps the
//     caller's uid to root inside it. Either way it execs with no capabilities (bounding set emptied,
//     SECBIT_NOROOT locked), so that root of a user namespace cannot chroot back out.
//   - its own root (chroot): the host's /usr read-only (the interpreter and its library) and a private tmpfs
//     at /work (its working directory) and /tmp; no /etc, /home, /proc or run directory.
//   - rlimits: CPU seconds, address space, processes (as nobody), file size, open files, no core dumps;
//     PR_SET_NO_NEW_PRIVS, oom_score_adj 1000, and PR_SET_PDEATHSIG so that it dies with the actor.
//   - killed (SIGKILL to its PID 1) at the call's deadline or once its output passes max_output_bytes.
// Error kinds: bad_arguments (no "code" string, or longer than 64 KiB), timeout, output_limit, failed (a
// non-zero exit, e.g. a traceback or MemoryError, or a signal), and failed when the sandbox cannot be
// made (namespaces refused: the message says which call).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/tool.h"

namespace ascent {

struct SandboxLimits {
  double cpu_seconds = 10;                    // RLIMIT_CPU (the wall deadline is the call's)
  int64_t memory_bytes = int64_t{512} << 20;  // RLIMIT_AS
  int64_t processes = 32;                     // RLIMIT_NPROC (as nobody: that user's processes)
  int64_t file_bytes = int64_t{16} << 20;     // RLIMIT_FSIZE
  int64_t open_files = 64;                    // RLIMIT_NOFILE
  int64_t tmpfs_bytes = int64_t{32} << 20;    // /work and /tmp each
  int64_t max_output_bytes = 64 << 10;        // read at most this much, then kill
};

class PythonSandbox : public Tool {
 public:
  // Makes the sandbox's root skeleton (a temporary directory); errors name what failed.
  static absl::StatusOr<std::unique_ptr<PythonSandbox>> create(SandboxLimits limits = {});
  ~PythonSandbox() override;  // removes the skeleton
  std::string name() const override { return "python"; }
  nlohmann::ordered_json schema() const override;
  ToolOutput run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const override;
  // The program's run itself.
  ToolOutput run_code(const std::string& code, ToolDeadline deadline) const;

 private:
  PythonSandbox(SandboxLimits limits, std::string dir) : limits_(limits), dir_(std::move(dir)) {}
  SandboxLimits limits_;
  std::string dir_;  // holds root/ (usr, work, tmp mount points; bin, lib, lib64 links)
};

}  // namespace ascent
