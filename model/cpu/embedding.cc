#include "model/cpu/embedding.h"

#include <cstring>

#include <omp.h>

#include "core/threads.h"

namespace ascent::cpu {

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (int64_t n = 0; n < N; ++n)
    std::memcpy(out + n * C, table + static_cast<int64_t>(tokens[n]) * C, C * 4);
}

void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C) {
#pragma omp parallel if (N * C >= kParallelMinWork)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t c0 = C * t / nt, c1 = C * (t + 1) / nt;
    for (int64_t n = 0; n < N; ++n) {
      float* d = dtable + static_cast<int64_t>(tokens[n]) * C;
      const float* g = dout + n * C;
      for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
    }
  }
}

}  // namespace ascent::cpu
