#include "model/byte_tokenizer.h"

namespace ascent {

std::vector<int32_t> byte_tokenizer_encode(const std::string& text) {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (unsigned char c : text) ids.push_back(c);
  return ids;
}

std::string byte_tokenizer_decode(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (id >= 0 && id < 256)
      s.push_back(static_cast<char>(id));
    else if (id == kByteEos || id == kByteBos || id == kBytePad)
      continue;
    else
      s += "<|" + std::to_string(id) + "|>";
  }
  return s;
}

}  // namespace ascent
