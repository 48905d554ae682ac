// Thread count for the CPU kernels (OpenMP + the OpenMP build of OpenBLAS). Results are deterministic for a
// fixed seed and a fixed thread count: every kernel writes disjoint outputs or reduces in a fixed order.
#pragma once

#include <cstdint>

// Below this many element operations a kernel runs on the calling thread: waking the OpenMP team costs more
// than the work (decode steps and tiny models are full of such calls).
constexpr int64_t kParallelMinWork = 1 << 15;

void threads_set_count(int n);  // n <= 0: all hardware threads
int threads_get_count();
