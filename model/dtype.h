// On-disk element types of checkpoints and their conversion to and from float32 (round to nearest even).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace ascent {

enum class DType { kF32, kF16, kBF16 };

const char* dtype_name(DType t);                     // safetensors spelling: F32, F16, BF16
bool dtype_parse(const std::string& s, DType* out);  // accepts F32/F16/BF16 and float32/float16/bfloat16
int dtype_size(DType t);

inline float bf16_to_f32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// Converts n elements between a raw little-endian buffer of type t and float32.
void dtype_to_f32(DType t, const void* src, float* dst, int64_t n);
void dtype_from_f32(DType t, const float* src, void* dst, int64_t n);

}  // namespace ascent
