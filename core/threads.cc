#include "core/threads.h"

#include <omp.h>

#include <atomic>
#include <thread>

namespace ascent {

namespace {
std::atomic<int> g_count{0};  // 0: never set (OpenMP's own default)
}

void threads_set_count(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  g_count = n;
  omp_set_num_threads(n);
}

void threads_adopt() {
  if (const int n = g_count.load(); n > 0) omp_set_num_threads(n);
}

void threads_use_one() {
  omp_set_num_threads(1);
}

int threads_get_count() {
  const int n = g_count.load();
  return n > 0 ? n : omp_get_max_threads();
}

}  // namespace ascent
