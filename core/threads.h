// Thread count for the CPU kernels (OpenMP + the OpenMP build of OpenBLAS). Results are deterministic for a
// fixed seed and a fixed thread count: every kernel writes disjoint outputs or reduces in a fixed order.
#pragma once

void threads_set_count(int n);  // n <= 0: all hardware threads
int threads_get_count();
