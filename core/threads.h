// Thread count for the CPU kernels (OpenMP + the OpenMP build of OpenBLAS). Results are deterministic for a
// fixed seed and a fixed thread count: every kernel writes disjoint outputs or reduces in a fixed order.
#pragma once

#include <cstdint>

namespace ascent {

// Below this many element operations a kernel runs on the calling thread: waking the OpenMP team costs more
// than the work (decode steps and tiny models are full of such calls).
constexpr int64_t kParallelMinWork = 1 << 15;

// The process's thread count. OpenMP keeps it per thread (omp_set_num_threads sets the calling thread's
// value; a new std::thread starts with OMP_NUM_THREADS or every core), so a thread that runs kernels calls
// threads_adopt() first: without it an actor's reward-model thread ran 16 OpenMP threads on a 16-core machine
// beside three other processes and the job crawled.
void threads_set_count(int n);  // n <= 0: all hardware threads
void threads_adopt();           // the calling thread takes the count threads_set_count set
// The calling thread runs its kernels alone: a job beside the process's own kernels (a background
// validation). OpenBLAS's OpenMP build runs one threaded call at a time (NUM_PARALLEL 1), so a second thread's
// threaded calls would make the main thread's wait; single-threaded calls bypass that queue.
void threads_use_one();
int threads_get_count();

}  // namespace ascent
