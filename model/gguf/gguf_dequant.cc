#include "model/gguf/gguf_dequant.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "model/dtype.h"

namespace ascent {

namespace {

constexpr int64_t kBlock = 32;

uint16_t u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Bytes per block of 32 values, or 0 when the type is not a 32-block quantisation we read.
int64_t block_bytes(uint32_t type) {
  switch (type) {
    case kGgmlQ4_0:
      return 2 + 16;
    case kGgmlQ4_1:
      return 2 + 2 + 16;
    case kGgmlQ8_0:
      return 2 + 32;
    default:
      return 0;
  }
}

void dequant_block(uint32_t type, const uint8_t* b, float* x) {
  const float d = f16_to_f32(u16(b));
  if (type == kGgmlQ8_0) {
    for (int j = 0; j < kBlock; ++j) x[j] = d * static_cast<float>(static_cast<int8_t>(b[2 + j]));
    return;
  }
  const bool q41 = type == kGgmlQ4_1;
  const float m = q41 ? f16_to_f32(u16(b + 2)) : 0.0f;
  const uint8_t* qs = b + (q41 ? 4 : 2);
  const int off = q41 ? 0 : 8;
  for (int j = 0; j < kBlock / 2; ++j) {
    x[j] = d * static_cast<float>((qs[j] & 15) - off) + m;
    x[j + kBlock / 2] = d * static_cast<float>((qs[j] >> 4) - off) + m;
  }
}

}  // namespace

const char* ggml_type_name(uint32_t type) {
  static const char* const names[] = {
      "F32",   "F16",    "Q4_0", "Q4_1", "Q4_2", "Q4_3",    "Q5_0",   "Q5_1",    "Q8_0",  "Q8_1",   "Q2_K",
      "Q3_K",  "Q4_K",   "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",
      "IQ2_S", "IQ4_XS", "I8",   "I16",  "I32",  "I64",     "F64",    "IQ1_M",   "BF16"};
  if (type < sizeof(names) / sizeof(names[0])) return names[type];
  static thread_local std::string other;
  other = absl::StrCat("type ", type);
  return other.c_str();
}

int64_t ggml_type_bytes(uint32_t type, int64_t n) {
  if (n < 0) return -1;
  switch (type) {
    case kGgmlF32:
      return 4 * n;
    case kGgmlF16:
    case kGgmlBF16:
      return 2 * n;
    default:
      break;
  }
  const int64_t bb = block_bytes(type);
  if (bb == 0 || n % kBlock != 0) return -1;
  return n / kBlock * bb;
}

absl::Status ggml_dequantize(uint32_t type, const uint8_t* src, int64_t n, float* dst) {
  if (ggml_type_bytes(type, n) < 0) {
    return absl::UnimplementedError(absl::StrCat("ggml type ", ggml_type_name(type),
                                                 " is not read (F32, F16, BF16, Q4_0, Q4_1, Q8_0 are)"));
  }
  switch (type) {
    case kGgmlF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return absl::OkStatus();
    case kGgmlF16:
      dtype_to_f32(DType::kF16, src, dst, n);
      return absl::OkStatus();
    case kGgmlBF16:
      dtype_to_f32(DType::kBF16, src, dst, n);
      return absl::OkStatus();
    default:
      break;
  }
  const int64_t bb = block_bytes(type);
  for (int64_t b = 0; b < n / kBlock; ++b) dequant_block(type, src + b * bb, dst + b * kBlock);
  return absl::OkStatus();
}

}  // namespace ascent
