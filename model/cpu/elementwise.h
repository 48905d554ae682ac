// Small data-movement ops of the transformer: the residual add, and moving rows between a batch's hidden
// states and the rows that have a target (the LM head runs only on those). Shape key: n rows, C channels.
#pragma once

#include <cstdint>

namespace ascent::cpu {

// y[i] += x[i], i < n
void add_inplace(float* y, const float* x, int64_t n);
// out[i, :] = inp[rows[i], :] for i < n
void gather_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);
// out[rows[i], :] = inp[i, :] for i < n (rows distinct; other rows of out untouched)
void scatter_rows(float* out, const float* inp, const int64_t* rows, int64_t n, int64_t C);

}  // namespace ascent::cpu
