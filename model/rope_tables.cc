#include "model/rope_tables.h"

#include <cmath>

#include "core/threads.h"

namespace ascent {

void rope_tables(float* cos, float* sin, const int32_t* positions, const std::vector<float>& inv_freq,
                 int64_t N) {
  const int64_t half = static_cast<int64_t>(inv_freq.size());
#pragma omp parallel for schedule(static) if (N * half >= kParallelMinWork)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t i = 0; i < half; ++i) {
      float a = static_cast<float>(positions[n]) * inv_freq[i];
      cos[n * half + i] = std::cos(a);
      sin[n * half + i] = std::sin(a);
    }
  }
}

}  // namespace ascent
