#include "core/utf8.h"

#include <algorithm>

namespace ascent {

namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

// UTF-8 as Rust's from_utf8 accepts it: the valid second-byte range depends on the lead byte (no overlongs,
// no surrogates, nothing above U+10FFFF).
// valid_prefix: how many bytes from s[i] form a valid (possibly incomplete) sequence start; total: the
// length the lead byte announces (0: not a lead byte).
void utf8_scan(const std::string& s, size_t i, int* valid_prefix, int* total) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) {
    *valid_prefix = *total = 1;
    return;
  }
  if (c >= 0xC2 && c <= 0xDF)
    *total = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    *total = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4)
    *total = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else {
    *valid_prefix = 0, *total = 0;
    return;
  }
  int k = 1;
  for (; k < *total && i + k < s.size(); ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (d < lo || d > hi) : (d & 0xC0) != 0x80) break;
  }
  *valid_prefix = k;
}

}  // namespace

int utf8_seq(const std::string& s, size_t i) {
  int valid = 0, total = 0;
  utf8_scan(s, i, &valid, &total);
  if (total == 0) return 0;
  if (valid == total) return total;
  return i + static_cast<size_t>(valid) >= s.size() ? -1 : 0;
}

std::string utf8_lossy(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int valid = 0, total = 0;
    utf8_scan(s, i, &valid, &total);
    if (total > 0 && valid == total) {
      out.append(s, i, static_cast<size_t>(total));
      i += static_cast<size_t>(total);
    } else {
      out += kReplacement;  // one per maximal invalid subpart, as from_utf8_lossy
      i += static_cast<size_t>(std::max(valid, 1));
    }
  }
  return out;
}

size_t utf8_complete_prefix(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const int n = utf8_seq(s, i);
    if (n < 0) break;  // an incomplete character at the end: hold it back
    i += n > 0 ? static_cast<size_t>(n) : 1;
  }
  return i;
}

}  // namespace ascent
