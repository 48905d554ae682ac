// Ctrl-C and SIGTERM for long-running subcommands.
//
// The first SIGINT/SIGTERM asks the work to stop cleanly: `on_stop` runs once, on a watcher thread (not in the
// handler). The same request often arrives more than once: a terminal's Ctrl-C reaches every process of the
// foreground group, and a scheduler (Slurm, Kubernetes) sends SIGTERM to every process of the job, while
// `ascent train` also forwards the stop to its children. Signals within kStopRepeatWindowS of the first are
// therefore that same request and ignored. A signal after the window is a deliberate second Ctrl-C: it abandons
// the clean stop (a checkpoint being written is left as step-N.tmp, removed at the next start): `on_abandon`
// runs if given (the launcher takes its children down), then the process exits with 130.
#pragma once

#include <functional>

namespace ascent {

inline constexpr double kStopRepeatWindowS = 3.0;

// SIGHUP (a closed terminal) counts as SIGINT. A process started by `ascent train` (ASCENT_LAUNCHER_PID in its
// environment) also stops cleanly when that launcher dies without forwarding a signal (kill -9): its children
// run in their own process groups, so nothing else would reach them.
// Installs the handlers and starts the watcher thread.
void stop_signal_install(std::function<void()> on_stop, std::function<void()> on_abandon = {});
bool stop_signal_received();

}  // namespace ascent
