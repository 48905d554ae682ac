#include "actor/actor_shared.h"

namespace ascent {

void ActorShared::fail(absl::Status st) {
  absl::MutexLock lock(&mu);
  if (error.ok()) error = std::move(st);
  quit = true;
  changed.SignalAll();
}

}  // namespace ascent
