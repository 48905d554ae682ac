// ThreadSanitizer builds only (-DASCENT_SANITIZE=thread, CMakeLists.txt): tells TSan what absl::Mutex and
// absl::CondVar do. The distribution's Abseil is not built with TSan, so its lock and unlock are invisible to
// it and every field that one of our mutexes guards would be reported as a race. The linker's --wrap sends our
// calls of Mutex::Lock/Unlock and CondVar::Wait/WaitWithDeadline here (their mangled names, with Abseil's
// inline namespace, are made in CMakeLists.txt): after a lock, __tsan_acquire(mu); before an unlock,
// __tsan_release(mu) (the happens-before edges a TSan-built Abseil would annotate itself;
// <sanitizer/tsan_interface.h>). Calls from inside gRPC (not instrumented) are neither seen nor needed.
// Only these four are wrapped: every use in the tree today. A new one (ReaderLock, TryLock, Await, LockWhen,
// WaitWithTimeout) needs its line here and in CMakeLists.txt, or TSan reports the fields it guards as races.
#include <sanitizer/tsan_interface.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#define ASCENT_CAT2(a, b) a##b
#define ASCENT_CAT(a, b) ASCENT_CAT2(a, b)
#define ASCENT_WRAP(sym) ASCENT_CAT(__wrap_, sym)
#define ASCENT_REAL(sym) ASCENT_CAT(__real_, sym)

// ASCENT_ABSL_MUTEX_LOCK etc. are the mangled names, defined by CMake.
extern "C" {
void ASCENT_REAL(ASCENT_ABSL_MUTEX_LOCK)(absl::Mutex* mu);
void ASCENT_REAL(ASCENT_ABSL_MUTEX_UNLOCK)(absl::Mutex* mu);
void ASCENT_REAL(ASCENT_ABSL_CONDVAR_WAIT)(absl::CondVar* cv, absl::Mutex* mu);
bool ASCENT_REAL(ASCENT_ABSL_CONDVAR_WAIT_DEADLINE)(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline);

void ASCENT_WRAP(ASCENT_ABSL_MUTEX_LOCK)(absl::Mutex* mu) {
  ASCENT_REAL(ASCENT_ABSL_MUTEX_LOCK)(mu);
  __tsan_acquire(mu);
}

void ASCENT_WRAP(ASCENT_ABSL_MUTEX_UNLOCK)(absl::Mutex* mu) {
  __tsan_release(mu);
  ASCENT_REAL(ASCENT_ABSL_MUTEX_UNLOCK)(mu);
}

void ASCENT_WRAP(ASCENT_ABSL_CONDVAR_WAIT)(absl::CondVar* cv, absl::Mutex* mu) {
  __tsan_release(mu);
  ASCENT_REAL(ASCENT_ABSL_CONDVAR_WAIT)(cv, mu);
  __tsan_acquire(mu);
}

bool ASCENT_WRAP(ASCENT_ABSL_CONDVAR_WAIT_DEADLINE)(absl::CondVar* cv, absl::Mutex* mu, absl::Time deadline) {
  __tsan_release(mu);
  const bool timed_out = ASCENT_REAL(ASCENT_ABSL_CONDVAR_WAIT_DEADLINE)(cv, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}
}
