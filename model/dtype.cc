#include "model/dtype.h"

#include <cmath>

namespace ascent {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

bool dtype_parse(const std::string& s, DType* out) {
  if (s == "F32" || s == "float32")
    *out = DType::kF32;
  else if (s == "F16" || s == "float16")
    *out = DType::kF16;
  else if (s == "BF16" || s == "bfloat16")
    *out = DType::kBF16;
  else
    return false;
  return true;
}

int dtype_size(DType t) {
  return t == DType::kF32 ? 4 : 2;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);  // subnormal or zero
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t absu = u & 0x7fffffff;
  if (absu > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00);  // NaN
  if (absu >= 0x477ff000)
    return static_cast<uint16_t>(sign | 0x7c00);  // overflow (rounds to >= 65520) -> inf
  if (absu < 0x38800000) {                        // result is subnormal or zero
    // value / 2^-24 rounded to nearest even (nearbyint uses the default round-to-nearest-even mode).
    float a;
    std::memcpy(&a, &absu, 4);
    uint32_t m = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, 24)));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t exp = ((absu >> 23) - 112) << 10;
  uint32_t mant = absu & 0x7fffff;
  uint32_t h = exp | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
    ++h;  // round to nearest even; carries into exponent correctly
  return static_cast<uint16_t>(sign | h);
}

void dtype_to_f32(DType t, const void* src, float* dst, int64_t n) {
  if (n <= 0) return;  // an empty tensor may have no data pointer at all (memcpy from null is undefined)
  const auto* p = static_cast<const uint8_t*>(src);
  if (t == DType::kF32) {
    std::memcpy(dst, p, static_cast<size_t>(n) * 4);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    dst[i] = t == DType::kBF16 ? bf16_to_f32(h) : f16_to_f32(h);
  }
}

void dtype_from_f32(DType t, const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  if (t == DType::kF32) {
    std::memcpy(p, src, static_cast<size_t>(n) * 4);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h = t == DType::kBF16 ? f32_to_bf16(src[i]) : f32_to_f16(src[i]);
    std::memcpy(p + 2 * i, &h, 2);
  }
}

}  // namespace ascent
