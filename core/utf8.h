// UTF-8 as Rust's from_utf8 accepts it (no overlongs, no surrogates, nothing above U+10FFFF): the checks a
// tokenizer's decode and every text that leaves ascent in a protobuf string field (which must be valid UTF-8)
// need.
#pragma once

#include <cstddef>
#include <string>

namespace ascent {

// Length of a complete valid sequence at s[i]; 0 if invalid; -1 if valid so far but cut by the end.
int utf8_seq(const std::string& s, size_t i);
// Invalid UTF-8 sequences replaced by U+FFFD (one per maximal invalid subpart, as Rust's from_utf8_lossy).
std::string utf8_lossy(const std::string& bytes);
// Length of the longest prefix that is complete, valid UTF-8 or invalid bytes that can never become valid:
// what a stream can emit now.
size_t utf8_complete_prefix(const std::string& bytes);

}  // namespace ascent
