#include "tools/python_sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/child_output.h"

namespace ascent {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxCode = 64 << 10;
constexpr uid_t kNobody = 65534;
constexpr int kSetupFailed = 125;  // the child's exit code when the sandbox could not be set up

// Everything the child needs, prepared before clone(2): after it only async-signal-safe calls are made.
struct ChildArgs {
  const char* root;
  std::vector<std::pair<std::string, std::string>> binds;  // host dir -> mount point (read-only)
  const char* work;
  const char* tmp;
  const char* tmpfs_opts;
  std::vector<std::pair<int, rlimit>> limits;
  bool drop_root = false, user_ns = false;
  int sync_fd = -1, in_fd = -1, out_fd = -1;
  char* const* argv;
  char* const* envp;
};

// Between clone and exec only async-signal-safe calls: the message and errno's number, no strerror.
[[noreturn]] void child_fail(const char* what) {
  const int e = errno;
  char num[16];
  int n = 0;
  for (int v = e > 0 ? e : 0; n == 0 || v > 0; v /= 10) num[n++] = static_cast<char>('0' + v % 10);
  const char* head = "ascent sandbox: ";
  (void)!write(2, head, std::strlen(head));
  (void)!write(2, what, std::strlen(what));
  (void)!write(2, ": errno ", 8);
  while (n > 0) (void)!write(2, &num[--n], 1);
  _exit(kSetupFailed);
}

// No capabilities after exec, also as root of a user namespace (which would otherwise get them all back,
// CAP_SYS_CHROOT included, and could chroot out of its root). Before the uid change (it needs CAP_SETPCAP):
// the bounding set emptied and root given no special treatment at exec (SECBIT_NOROOT, locked).
bool limit_capabilities() {
  for (int c = 0; c <= 63; ++c) {
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) return false;
  }
  constexpr unsigned long kNoRoot = 1UL << 0, kNoRootLocked = 1UL << 1;
  return prctl(PR_SET_SECUREBITS, kNoRoot | kNoRootLocked, 0, 0, 0) == 0;
}

// After it: the current sets cleared (the uid change already did as root; in a user namespace it is this).
bool clear_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  return syscall(SYS_capset, &hdr, data) == 0;
}

int child_main(void* p) {
  const ChildArgs* a = static_cast<const ChildArgs*>(p);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // at once, and again after the uid change below (which clears it)
  if (a->user_ns) {                  // wait until the parent has written the uid and gid maps
    char c;
    if (read(a->sync_fd, &c, 1) != 1) _exit(kSetupFailed);
  }
  if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0 || dup2(a->out_fd, 2) < 0) _exit(kSetupFailed);
  child_close_from_3();
  setsid();
  // Out of memory, the kernel kills the sandbox first, not the actor.
  const int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj >= 0) (void)!write(adj, "1000", 4), close(adj);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail("mount / private");
  for (const auto& [src, dst] : a->binds) {
    if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) child_fail("bind mount");
    if (mount(nullptr, dst.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
              nullptr) != 0) {
      child_fail("read-only remount");
    }
  }
  for (const char* t : {a->work, a->tmp}) {
    if (mount("tmpfs", t, "tmpfs", MS_NOSUID | MS_NODEV, a->tmpfs_opts) != 0) child_fail("tmpfs");
  }
  if (chroot(a->root) != 0 || chdir("/work") != 0) child_fail("chroot");
  for (const auto& [res, lim] : a->limits) {
    if (setrlimit(res, &lim) != 0) child_fail("setrlimit");
  }
  if (!limit_capabilities()) child_fail("limit capabilities");
  // Raw system calls: glibc's setuid family would synchronise with the parent's threads, absent here.
  if (a->drop_root &&
      (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, kNobody, kNobody, kNobody) != 0 ||
       syscall(SYS_setresuid, kNobody, kNobody, kNobody) != 0)) {
    child_fail("drop to nobody");
  }
  if (!clear_capabilities()) child_fail("clear capabilities");
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // after the uid change, which clears it
  execve("/usr/bin/python3", a->argv, a->envp);
  child_fail("execve /usr/bin/python3");
}

bool write_file(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PythonSandbox>> PythonSandbox::create(SandboxLimits limits) {
  char tmpl[] = "/tmp/ascent-sandbox-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    return absl::InternalError(absl::StrCat("sandbox: mkdtemp: ", strerror(errno)));
  const std::string dir = tmpl, root = dir + "/root";
  std::error_code ec;
  for (const char* d : {"", "/usr", "/work", "/tmp"}) std::filesystem::create_directory(root + d, ec);
  chmod(dir.c_str(), 0755);
  chmod(root.c_str(), 0755);
  // Merged /usr (Debian 12, Ubuntu 24.04): /bin, /lib, /lib64 are links into /usr; elsewhere, mount points.
  for (const char* d : {"/bin", "/lib", "/lib64"}) {
    std::error_code e2;
    if (std::filesystem::is_symlink(d, e2)) {
      std::filesystem::create_symlink(std::filesystem::read_symlink(d, e2), root + d, e2);
    } else if (std::filesystem::is_directory(d, e2)) {
      std::filesystem::create_directory(root + d, e2);
    }
  }
  if (ec || !std::filesystem::exists("/usr/bin/python3")) {
    std::filesystem::remove_all(dir, ec);
    return absl::FailedPreconditionError("sandbox: needs /usr/bin/python3 and a writable /tmp");
  }
  return std::unique_ptr<PythonSandbox>(new PythonSandbox(limits, dir));
}

PythonSandbox::~PythonSandbox() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

nlohmann::ordered_json PythonSandbox::schema() const {
  return nlohmann::ordered_json::parse(R"({"type": "function", "function": {"name": "python",
    "description": "Runs a Python 3 program in a sandbox (no network, no files but its own) and returns what it prints.",
    "parameters": {"type": "object", "properties": {"code": {"type": "string",
      "description": "the program; print the results"}}, "required": ["code"]}}})");
}

ToolOutput PythonSandbox::run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const {
  auto c = arguments.find("code");
  if (c == arguments.end() || !c->is_string()) {
    return tool_error(kToolErrorBadArguments, "python: give {\"code\": \"...\"}");
  }
  return run_code(c->get<std::string>(), deadline);
}

ToolOutput PythonSandbox::run_code(const std::string& code, ToolDeadline deadline) const {
  if (code.size() > kMaxCode || code.find('\0') != std::string::npos) {
    return tool_error(kToolErrorBadArguments, "python: the code must be text of at most 64 KiB");
  }
  const std::string root = dir_ + "/root", work = root + "/work", tmp = root + "/tmp";
  const std::string opts = absl::StrCat("size=", limits_.tmpfs_bytes, ",mode=1777,nr_inodes=4096");
  ChildArgs a;
  a.root = root.c_str(), a.work = work.c_str(), a.tmp = tmp.c_str(), a.tmpfs_opts = opts.c_str();
  a.binds.push_back({"/usr", root + "/usr"});
  for (const char* d : {"/bin", "/lib", "/lib64"}) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(d, ec) && std::filesystem::is_directory(d, ec))
      a.binds.push_back({d, root + d});
  }
  const auto lim = [](int64_t v) { return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)}; };
  a.limits = {{RLIMIT_CPU, lim(static_cast<int64_t>(std::ceil(limits_.cpu_seconds)))},
              {RLIMIT_AS, lim(limits_.memory_bytes)},
              {RLIMIT_FSIZE, lim(limits_.file_bytes)},
              {RLIMIT_NOFILE, lim(limits_.open_files)},
              {RLIMIT_CORE, lim(0)}};
  a.drop_root = geteuid() == 0;
  a.user_ns = !a.drop_root;
  if (a.drop_root) a.limits.push_back({RLIMIT_NPROC, lim(limits_.processes)});
  std::string py = "python3", i = "-I", b = "-B", dash_c = "-c", prog = code;
  char* argv[] = {py.data(), i.data(), b.data(), dash_c.data(), prog.data(), nullptr};
  std::string e1 = "PATH=/usr/bin", e2 = "HOME=/work", e3 = "LANG=C.UTF-8";
  char* envp[] = {e1.data(), e2.data(), e3.data(), nullptr};
  a.argv = argv, a.envp = envp;

  int out[2], in[2], sync[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return tool_error(kToolErrorFailed, "sandbox: pipe failed");
  if (pipe2(in, O_CLOEXEC) != 0 || (a.user_ns && pipe2(sync, O_CLOEXEC) != 0)) {
    close(out[0]), close(out[1]);
    return tool_error(kToolErrorFailed, "sandbox: pipe failed");
  }
  a.in_fd = in[0], a.out_fd = out[1], a.sync_fd = sync[0];
  constexpr size_t kStack = 1 << 20;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  if (a.user_ns) flags |= CLONE_NEWUSER;
  const pid_t pid =
      stack == MAP_FAILED ? -1 : clone(child_main, static_cast<char*>(stack) + kStack, flags, &a);
  const int clone_errno = errno;
  close(in[0]), close(in[1]), close(out[1]);
  if (sync[0] >= 0) close(sync[0]);
  if (pid < 0) {
    if (stack != MAP_FAILED) munmap(stack, kStack);
    close(out[0]);
    if (sync[1] >= 0) close(sync[1]);
    return tool_error(kToolErrorFailed,
                      absl::StrCat("sandbox: clone with new namespaces: ", strerror(clone_errno)));
  }
  if (a.user_ns) {  // inside: root = the caller
    const std::string proc = absl::StrCat("/proc/", pid);
    write_file(proc + "/setgroups", "deny");
    write_file(proc + "/uid_map", absl::StrCat("0 ", getuid(), " 1"));
    write_file(proc + "/gid_map", absl::StrCat("0 ", getgid(), " 1"));
    (void)!write(sync[1], "g", 1);
    close(sync[1]);
  }
  // PID 1 of its namespace: killing it (deadline, output cap) makes the kernel kill the rest.
  ChildOutcome o = child_collect(pid, pid, out[0], deadline, limits_.max_output_bytes);
  munmap(stack, kStack);
  if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == kSetupFailed &&
      o.output.rfind("ascent sandbox:", 0) == 0) {
    return tool_error(kToolErrorFailed, o.output);
  }
  return child_tool_output(std::move(o), limits_.max_output_bytes);
}

}  // namespace ascent
