// threads_set_count is the process's count: a new std::thread takes it with threads_adopt() (OpenMP keeps the
// count per thread, and a new thread starts with every core: what made an actor's reward-model thread run 16
// OpenMP threads on a 16-core machine).
#include <gtest/gtest.h>

#include <omp.h>

#include <cstdlib>
#include <thread>

#include "core/threads.h"

namespace ascent {

TEST(Threads, ANewThreadAdoptsTheProcessCount) {
  threads_set_count(1);
  int without = 0, with = 0;
  std::thread([&] { without = omp_get_max_threads(); }).join();
  std::thread([&] {
    threads_adopt();
    with = omp_get_max_threads();
  }).join();
  EXPECT_EQ(with, 1);
  EXPECT_EQ(threads_get_count(), 1);
  // Where the machine has more than one core, OpenMP's own default differs: the adoption is what set it.
  if (std::thread::hardware_concurrency() > 1 && std::getenv("OMP_NUM_THREADS") == nullptr) {
    EXPECT_GT(without, 1);
  }
}

}  // namespace ascent
