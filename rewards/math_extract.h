// Extracting the final answer from a completion (docs/algorithms.md section 7), in math_verify's order:
//   1. the last \boxed{...} (or \fbox{...}), braces balanced, with the boxes right before it that only
//      commas, "and"/"or", spaces or math delimiters separate (\boxed{3}, \boxed{5} -> "3, 5"; a repeated
//      content once);
//   2. else the last "Answer:" / "final answer is" line;
//   3. else the last math span ($...$, $$...$$, \(...\), \[...\]);
//   4. else the last number in the text (a mixed number "3 1/2" whole).
// Rules 2 and 4 read the text with Markdown emphasis and code marks removed (**73**, `73`, _73_).
// Returns the answer's raw text and which rule found it ("boxed", "answer_line", "math_span", "last_number");
// an empty answer when nothing was found.
#pragma once

#include <string>

namespace ascent {

struct ExtractedAnswer {
  std::string text;
  std::string rule;  // empty when nothing was found
};

ExtractedAnswer math_extract_answer(const std::string& completion);
// The content of the last \boxed{...} in s, or nullopt-like empty with found = false.
bool math_last_boxed(const std::string& s, std::string* content);

}  // namespace ascent
