#include "cli/stop_signal.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "core/process.h"

namespace ascent {

namespace {

// Lock-free atomics only: the handler may touch nothing else.
std::atomic<int> g_signals{0};       // accepted signals: 1 = stop, 2 = abandon
std::atomic<int64_t> g_first_ns{0};  // CLOCK_MONOTONIC of the first signal
std::atomic<bool> g_abandon_hook{false};

int64_t monotonic_ns() {  // clock_gettime is async-signal-safe
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void write_stderr(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  [[maybe_unused]] ssize_t w = write(STDERR_FILENO, s, n);
}

void handle(int) {
  const int64_t now = monotonic_ns();
  if (g_signals.load() == 0) {
    g_first_ns = now;
    g_signals = 1;
    return;
  }
  if (static_cast<double>(now - g_first_ns.load()) < kStopRepeatWindowS * 1e9) return;  // the same request
  if (g_abandon_hook.load()) {
    g_signals = 2;  // the watcher runs the hook and exits
    return;
  }
  write_stderr("ascent: second signal: stopping without the checkpoint\n");
  _exit(130);
}

}  // namespace

// The launcher that started this process (ASCENT_LAUNCHER_PID, set by `ascent train`), or 0.
pid_t launcher_pid() {
  const char* v = std::getenv("ASCENT_LAUNCHER_PID");
  return v != nullptr ? static_cast<pid_t>(std::atol(v)) : 0;
}

void stop_signal_install(std::function<void()> on_stop, std::function<void()> on_abandon) {
  g_abandon_hook = static_cast<bool>(on_abandon);
  struct sigaction sa {};
  sa.sa_handler = handle;
  sa.sa_flags = SA_RESTART;  // the other threads' system calls go on
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  std::thread([on_stop = std::move(on_stop), on_abandon = std::move(on_abandon), launcher = launcher_pid()] {
    // A launcher that died without a word (kill -9, a closed terminal) stops its children as a signal would.
    for (int tick = 0; g_signals == 0; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (launcher > 0 && tick % 20 == 0 && g_signals == 0 && !process_alive(launcher)) {
        write_stderr("ascent: the launcher (ascent train) is gone: stopping\n");
        g_first_ns = monotonic_ns();
        g_signals = 1;
      }
    }
    on_stop();
    if (!on_abandon) return;
    while (g_signals < 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    write_stderr("ascent: second signal: stopping without the checkpoint\n");
    on_abandon();
    _exit(130);
  }).detach();
}

bool stop_signal_received() {
  return g_signals > 0;
}

}  // namespace ascent
