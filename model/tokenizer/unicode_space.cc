#include "model/tokenizer/unicode_space.h"

namespace ascent {

namespace {

// The code point of a valid 1-4 byte sequence s[i, i + n), or -1 (an invalid sequence is never a space).
int64_t decode(const std::string& s, size_t i, size_t n) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (n == 1) return b(0) < 0x80 ? b(0) : -1;
  const unsigned char lead_mask = n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07;
  const unsigned char lead_tag = n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0;
  if ((b(0) & ~lead_mask & 0xFF) != lead_tag) return -1;
  int64_t c = b(0) & lead_mask;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return -1;
    c = (c << 6) | (b(k) & 0x3F);
  }
  const int64_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;  // shorter forms are overlong: invalid
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
  return c;
}

size_t seq_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

}  // namespace

bool unicode_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

size_t utf8_trim_back(const std::string& s, size_t begin, size_t end, bool (*space)(char32_t)) {
  while (end > begin) {
    size_t start = end - 1;  // back over continuation bytes to the lead byte (at most 3)
    while (start > begin && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    if (seq_len(static_cast<unsigned char>(s[start])) != end - start) return end;
    const int64_t c = decode(s, start, end - start);
    if (c < 0 || !space(static_cast<char32_t>(c))) return end;
    end = start;
  }
  return end;
}

size_t utf8_trim_front(const std::string& s, size_t begin, size_t end, bool (*space)(char32_t)) {
  while (begin < end) {
    const size_t n = seq_len(static_cast<unsigned char>(s[begin]));
    if (begin + n > end) return begin;
    const int64_t c = decode(s, begin, n);
    if (c < 0 || !space(static_cast<char32_t>(c))) return begin;
    begin += n;
  }
  return begin;
}
}  // namespace ascent
