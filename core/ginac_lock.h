// GiNaC (and CLN underneath) keep reference-counted global objects (shared small numbers, flyweights) whose
// counts are not atomic: two threads using GiNaC at once can corrupt them. Every use of GiNaC in a process
// (the math verifier on an actor's reward thread or a learner's validation thread, the calculator tool on the
// tool workers) holds this one lock for the whole call. Each of those calls is bounded (the verifier's time
// limit, the calculator's size limits), so a waiter waits at most that long.
#pragma once

#include "absl/synchronization/mutex.h"

namespace ascent {

absl::Mutex& ginac_mutex();

}  // namespace ascent
