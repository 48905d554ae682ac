#include "core/threads.h"

#include <omp.h>

#include <thread>

void threads_set_count(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  omp_set_num_threads(n);
}

int threads_get_count() {
  return omp_get_max_threads();
}
