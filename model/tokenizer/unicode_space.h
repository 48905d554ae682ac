// Whitespace in UTF-8 text as Hugging Face tokenizers defines it, for stripping next to added tokens (chat
// templates strip with Python's own str.strip, inside jinja2).
//  - unicode_white_space: the Unicode White_Space property (PropList.txt: U+0009..U+000D, U+0020, U+0085,
//    U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Rust's char::is_whitespace, so
//    Hugging Face tokenizers' lstrip/rstrip of added tokens.
// Text is UTF-8; an invalid byte is never whitespace.
#pragma once

#include <cstddef>
#include <string>

namespace ascent {

bool unicode_white_space(char32_t c);

// The end of s[begin, end) once the whitespace code points at its back are dropped (>= begin).
size_t utf8_trim_back(const std::string& s, size_t begin, size_t end, bool (*space)(char32_t));
// The start of s[begin, end) once the whitespace code points at its front are dropped (<= end).
size_t utf8_trim_front(const std::string& s, size_t begin, size_t end, bool (*space)(char32_t));

}  // namespace ascent
