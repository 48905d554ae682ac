#include "rewards/math_extract.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>
#include <string_view>
#include <vector>

namespace ascent {

namespace {

// From s[open] == '{', the index of the matching '}' or npos.
size_t match_brace(const std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '{' || s[i + 1] == '}')) {
      ++i;  // an escaped brace (\{ set braces) does not nest
      continue;
    }
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string::npos;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool last_math_span(const std::string& s, std::string* out) {
  // Scan left to right, remembering the last closed span of each delimiter kind.
  struct Delim {
    const char *open, *close;
  };
  const Delim delims[] = {{"$$", "$$"}, {"\\[", "\\]"}, {"\\(", "\\)"}, {"$", "$"}};
  size_t best_end = 0;
  bool found = false;
  size_t i = 0;
  while (i < s.size()) {
    bool matched = false;
    for (const Delim& d : delims) {
      const size_t lo = std::char_traits<char>::length(d.open), lc = std::char_traits<char>::length(d.close);
      if (s.compare(i, lo, d.open) != 0) continue;
      if (i > 0 && s[i - 1] == '\\' && d.open[0] == '$') continue;  // \$ is a dollar sign
      const size_t end = s.find(d.close, i + lo);
      if (end == std::string::npos) continue;
      if (end + lc >= best_end)
        *out = trim(std::string_view(s).substr(i + lo, end - i - lo)), best_end = end + lc;
      found = true;
      i = end + lc;
      matched = true;
      break;
    }
    if (!matched) ++i;
  }
  return found && !out->empty();
}

bool is_emphasis_edge(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '.' || c == ',' || c == ':' || c == ';' || c == '!' ||
         c == '?' || c == '(' || c == ')';
}

// Markdown emphasis and code marks out of plain text: backticks; "**" and "__" beside a space, punctuation or
// the ends; a single '*' or '_' where it opens or closes a word (*73*, _73_). Kept: 3*4, 2**3, x_1, a_{n},
// 2 * 3, f^*(x).
std::string strip_markdown(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '`') continue;
    const bool mark = (c == '*' || c == '_') && (i == 0 || (s[i - 1] != '^' && s[i - 1] != '_'));  // f^*, x_*
    const size_t len = mark && i + 1 < s.size() && s[i + 1] == c ? 2 : 1;
    if (mark) {
      const bool before_edge = i == 0 || is_emphasis_edge(s[i - 1]);
      const bool after_edge = i + len == s.size() || is_emphasis_edge(s[i + len]);
      // A single mark opens (edge before, word after) or closes a word; a double one (**73**) may also sit
      // between an edge and an edge; 2**3 and 3*4 (no edge on either side) are math.
      if (len == 2 ? (before_edge || after_edge) : before_edge != after_edge) {
        i += len - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

struct Box {
  size_t start, open, close;  // "\boxed" at start, its braces at open and close
};

// Every balanced \boxed{...} / \fbox{...} from left to right (boxes nested in a box are part of it).
std::vector<Box> boxes(const std::string& s) {
  std::vector<Box> out;
  size_t from = 0;
  while (true) {
    const size_t b1 = s.find("\\boxed", from), b2 = s.find("\\fbox", from);
    const size_t at = std::min(b1, b2);
    if (at == std::string::npos) break;
    const size_t open = s.find_first_not_of(' ', at + (at == b1 ? 6 : 5));
    const size_t close =
        open != std::string::npos && s[open] == '{' ? match_brace(s, open) : std::string::npos;
    if (close == std::string::npos) {
      from = at + 1;
      continue;
    }
    out.push_back({at, open, close});
    from = close + 1;
  }
  return out;
}

// The name a box is given by the text right before it ("x" for "x = $\boxed{2}"), or "" when none; *text
// loses that "x =".
std::string box_name(std::string* text) {
  static const std::regex kName(R"(([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*\$?\s*$)");
  std::smatch m;
  if (!std::regex_search(*text, m, kName)) return "";
  std::string name = m[1].str();
  *text = m.prefix().str();
  return name;
}

// Text between two boxes that joins them into one answer: spaces, commas, semicolons, math delimiters,
// the words "and" / "or" (plain or in \text{}), \quad, and a name for the next box that is the previous
// box's name (x = \boxed{2} and x = \boxed{-2}; not a = \boxed{4}, b = \boxed{7}).
bool joins_boxes(const std::string& prev_name, std::string between) {
  if (box_name(&between) != prev_name) return false;
  static const std::regex kJoin(R"(\\text\{\s*(?:and|or)\s*\}|\\q?quad|\\[()\[\]]|\b(?:and|or)\b)");
  between = std::regex_replace(between, kJoin, " ");
  return between.find_first_not_of(" \t\n,;$") == std::string::npos;
}

// The last box, with the boxes right before it that together form the answer (\boxed{3}, \boxed{5}): their
// contents joined by ", ", a repeated content once.
bool boxed_answer(const std::string& s, std::string* out) {
  const std::vector<Box> all = boxes(s);
  if (all.empty()) return false;
  const auto before = [&](size_t i) {  // the text between box i - 1 (or the start) and box i
    const size_t from = i == 0 ? 0 : all[i - 1].close + 1;
    return s.substr(from, all[i].start - from);
  };
  size_t first = all.size() - 1;
  while (first > 0) {
    std::string prev = before(first - 1);
    if (!joins_boxes(box_name(&prev), before(first))) break;
    --first;
  }
  std::vector<std::string> parts;
  for (size_t i = first; i < all.size(); ++i) {
    std::string c = trim(std::string_view(s).substr(all[i].open + 1, all[i].close - all[i].open - 1));
    if (std::find(parts.begin(), parts.end(), c) == parts.end()) parts.push_back(std::move(c));
  }
  out->clear();
  for (const std::string& p : parts) *out += (out->empty() ? "" : ", ") + p;
  return true;
}

bool answer_line(const std::string& s, std::string* out) {
  const char* const keys[] = {"final answer is", "Final Answer:", "Final answer:", "Answer:", "answer is"};
  size_t best = std::string::npos, best_len = 0;
  for (const char* k : keys) {
    const size_t at = s.rfind(k);
    if (at != std::string::npos && (best == std::string::npos || at > best))
      best = at, best_len = std::strlen(k);
  }
  if (best == std::string::npos) return false;
  std::string rest = s.substr(best + best_len);
  rest = rest.substr(0, rest.find('\n'));
  std::string span;
  if (last_math_span(rest, &span)) rest = span;
  rest = trim(rest);
  while (!rest.empty() && (rest.back() == '.' || rest.back() == ':')) rest.pop_back();
  *out = trim(rest);
  return !out->empty();
}

bool last_number(const std::string& s, std::string* out) {
  // The last run of [-]digits[.digits] (with thousands commas), optionally a fraction a/b.
  size_t i = s.size();
  while (i > 0 && !std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i;
  if (i == 0) return false;
  size_t end = i, b = i;
  while (b > 0 && (std::isdigit(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '.' || s[b - 1] == '/' ||
                   (s[b - 1] == ',' && b >= 2 && std::isdigit(static_cast<unsigned char>(s[b - 2]))))) {
    --b;
  }
  if (b > 0 && s[b - 1] == '-') --b;  // -.5 keeps its sign
  while (b < end && (s[b] == '.' || s[b] == '/' || s[b] == ',')) ++b;
  // A mixed number, "3 1/2": the whole part before the fraction belongs to it.
  if (s.find('/', b) < end && b >= 2 && s[b - 1] == ' ' &&
      std::isdigit(static_cast<unsigned char>(s[b - 2]))) {
    size_t w = b - 1;
    while (w > 0 && std::isdigit(static_cast<unsigned char>(s[w - 1]))) --w;
    if (w == 0 || (s[w - 1] != '.' && s[w - 1] != '/' && s[w - 1] != ',')) b = w;
    if (b > 0 && s[b - 1] == '-') --b;
  }
  *out = s.substr(b, end - b);
  return !out->empty();
}

}  // namespace

bool math_last_boxed(const std::string& s, std::string* content) {
  size_t best = std::string::npos;
  for (const char* cmd : {"\\boxed", "\\fbox"}) {
    const size_t at = s.rfind(cmd);
    if (at != std::string::npos && (best == std::string::npos || at > best)) best = at;
  }
  while (best != std::string::npos) {
    size_t open = s.find_first_not_of(' ', s.find_first_of("{ ", best));
    if (open != std::string::npos && s[open] == '{') {
      const size_t close = match_brace(s, open);
      if (close != std::string::npos) {
        *content = trim(std::string_view(s).substr(open + 1, close - open - 1));
        return true;
      }
    }
    // Unbalanced: try an earlier \boxed.
    if (best == 0) break;
    const size_t b1 = s.rfind("\\boxed", best - 1), b2 = s.rfind("\\fbox", best - 1);
    best = b1 == std::string::npos ? b2 : (b2 == std::string::npos ? b1 : std::max(b1, b2));
  }
  return false;
}

ExtractedAnswer math_extract_answer(const std::string& completion) {
  ExtractedAnswer a;
  const std::string plain = strip_markdown(completion);  // for the rules that read prose
  if (boxed_answer(completion, &a.text)) {
    a.rule = "boxed";
  } else if (answer_line(plain, &a.text)) {
    a.rule = "answer_line";
  } else if (last_math_span(completion, &a.text)) {
    a.rule = "math_span";
  } else if (last_number(plain, &a.text)) {
    a.rule = "last_number";
  } else {
    a.text.clear();
  }
  return a;
}

}  // namespace ascent
