// The byte-level tokenizer of the models ascent initialises itself (`ascent init-model` presets, the
// quickstart): ids 0..255 are bytes, then 256 <|endoftext|> (eos), 257 <|bos|>, 258 <|pad|>. Presets have
// vocab_size >= 259. Models with a tokenizer.json use model/tokenizer/ (TextCodec picks one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ascent {

constexpr int32_t kByteEos = 256;
constexpr int32_t kByteBos = 257;
constexpr int32_t kBytePad = 258;

std::vector<int32_t> byte_tokenizer_encode(const std::string& text);
// Special tokens are dropped; ids outside 0..255 that are not special print as <|id|>.
std::string byte_tokenizer_decode(const std::vector<int32_t>& ids);

}  // namespace ascent
