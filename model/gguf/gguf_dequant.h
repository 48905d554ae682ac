// ggml tensor types that GGUF import reads, and their conversion to float32 (the layouts of ggml-common.h
// and ggml-quants.c in github.com/ggml-org/ggml). Quantised types store blocks of 32 values:
//   Q8_0: f16 d, int8 q[32]              x = d * q
//   Q4_0: f16 d, u8 qs[16]               x[j] = d * ((qs[j] & 15) - 8), x[j + 16] = d * ((qs[j] >> 4) - 8)
//   Q4_1: f16 d, f16 m, u8 qs[16]        x[j] = d * (qs[j] & 15) + m,   x[j + 16] = d * (qs[j] >> 4) + m
// Other types (K-quants, IQ*, ...) are refused by name.
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace ascent {

enum GgmlType : uint32_t {
  kGgmlF32 = 0,
  kGgmlF16 = 1,
  kGgmlQ4_0 = 2,
  kGgmlQ4_1 = 3,
  kGgmlQ8_0 = 8,
  kGgmlBF16 = 30
};

// "F32", "Q4_K", ... for any ggml type id (unknown ids as "type N").
const char* ggml_type_name(uint32_t type);
// Bytes of n values of a supported type; -1 for an unsupported type or n not a multiple of its block.
int64_t ggml_type_bytes(uint32_t type, int64_t n);
// Converts n values (src holds ggml_type_bytes(type, n) bytes) to float32.
absl::Status ggml_dequantize(uint32_t type, const uint8_t* src, int64_t n, float* dst);

}  // namespace ascent
