// A PromptText for tests without a tokenizer: bytes to ids (mod the vocabulary), ids to digits ('0' + id % 10),
// so that a reward or a verdict depends on every sampled token.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generation/prompt_text.h"

namespace ascent {

inline PromptText digit_prompt_text(int64_t vocab) {
  PromptText t;
  t.encode = [vocab](const std::string& s) -> absl::StatusOr<std::vector<int32_t>> {
    std::vector<int32_t> ids;
    for (unsigned char c : s) ids.push_back(static_cast<int32_t>(c % vocab));
    return ids;
  };
  t.decode = [](const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += static_cast<char>('0' + id % 10);
    return s;
  };
  return t;
}

}  // namespace ascent
