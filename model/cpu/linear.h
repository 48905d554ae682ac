// Linear layer y = x W^T + b with Hugging Face's [out, in] weight layout, through cblas_sgemm.
// Shape key: N rows (tokens), I input features, O output features.
#pragma once

#include <cstdint>

namespace ascent::cpu {

// out[N,O] = inp[N,I] * weight[O,I]^T (+ bias[O])
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int64_t N,
                    int64_t I, int64_t O);
// dinp[N,I] += dout * W (= when overwrite_dinp; skipped when dinp is null); dweight[O,I] += dout^T * inp;
// dbias[O] += sum_rows dout.
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int64_t N, int64_t I, int64_t O, bool overwrite_dinp = false);

}  // namespace ascent::cpu
