// Ctrl-C and SIGTERM for long-running subcommands: the first signal asks the work to stop cleanly (the
// callback runs on a watcher thread, not in the handler); a second one exits at once.
#pragma once

#include <functional>

namespace ascent {

// Installs the handlers and starts the watcher; `on_stop` is called once, on the watcher thread.
void stop_signal_install(std::function<void()> on_stop);
bool stop_signal_received();

}  // namespace ascent
