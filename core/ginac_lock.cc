#include "core/ginac_lock.h"

namespace ascent {

absl::Mutex& ginac_mutex() {
  static absl::Mutex mu;
  return mu;
}

}  // namespace ascent
