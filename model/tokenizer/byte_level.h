// GPT-2's byte-level alphabet (tokenizers' ByteLevel): every byte maps to one printable Unicode character, so
// BPE runs over text that has no raw control bytes or spaces. Printable Latin-1 bytes ('!'..'~', '¡'..'¬',
// '®'..'ÿ') map to themselves; the other 68 bytes map to U+0100.. in byte order (space -> 'Ġ' U+0120).
#pragma once

#include <cstdint>
#include <string>

namespace ascent {

// The UTF-8 encoding of the character byte b maps to.
const std::string& byte_level_char(uint8_t b);
// The byte a byte-level character (a code point) stands for, or -1 if it is not in the alphabet.
int byte_level_byte(uint32_t codepoint);
// Byte-level form of raw bytes, and back (characters outside the alphabet are copied as UTF-8).
std::string byte_level_encode(const std::string& bytes);
std::string byte_level_decode(const std::string& text);

}  // namespace ascent
