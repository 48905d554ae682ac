#include "model/cpu/elementwise.h"

#include <cstring>

#include "core/threads.h"

namespace ascent::cpu {

void add_inplace(float* y, const float* x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void gather_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + i * C, inp + rows[i] * C, static_cast<size_t>(C) * 4);
}

void scatter_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + rows[i] * C, inp + i * C, static_cast<size_t>(C) * 4);
}

}  // namespace ascent::cpu
