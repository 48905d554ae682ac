#include "cli/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace ascent {

namespace {
std::atomic<int> g_signals{0};  // lock-free: safe in a signal handler
void handle(int) {
  if (g_signals.fetch_add(1) > 0) _exit(130);
}
}  // namespace

void stop_signal_install(std::function<void()> on_stop) {
  std::signal(SIGINT, handle);
  std::signal(SIGTERM, handle);
  std::thread([on_stop = std::move(on_stop)] {
    while (g_signals == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    on_stop();
  }).detach();
}

bool stop_signal_received() {
  return g_signals > 0;
}

}  // namespace ascent
