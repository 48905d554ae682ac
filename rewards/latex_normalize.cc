#include "rewards/latex_normalize.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

namespace ascent {

namespace {

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// Removes `cmd` (a control word) where it is not the prefix of a longer one (\left vs \leftarrow).
void remove_command(std::string* s, const std::string& cmd) {
  for (size_t at = s->find(cmd); at != std::string::npos; at = s->find(cmd, at)) {
    const size_t end = at + cmd.size();
    if (end < s->size() && is_letter((*s)[end]) && is_letter(cmd.back())) {
      at = end;
      continue;
    }
    s->erase(at, cmd.size());
  }
}

// Unit words dropped when they follow a number and end the answer (or a list item).
const char* const kUnits[] = {
    "square units", "sq units", "units",   "unit",     "cm^2",    "cm^3",   "cm",      "mm",     "km",
    "m^2",  // not "m" alone: 2m+1 is math
    "meters",       "meter",    "metres",  "inches",   "inch",    "feet",   "foot",    "ft",     "yards",
    "miles",        "mph",      "hours",   "hour",     "minutes", "minute", "seconds", "second", "days",
    "day",          "years",    "dollars", "dollar",   "cents",   "cent",   "degrees", "degree", "pounds",
    "grams",        "kg",       "liters",  "students", "people",  "ways",   "sq",      "sides"};

}  // namespace

std::string latex_normalize(const std::string& in) {
  std::string s = in;
  // \text{ or } / \text{and} between answers -> comma; other \text{...}, \mathrm{...}, \textbf{...},
  // \mbox{...} lose their wrapper (their content stays; unit words are dropped below).
  static const std::regex kTextJoin(R"(\\(?:text|mbox|mathrm)\{\s*(?:or|and|,)\s*\})");
  s = std::regex_replace(s, kTextJoin, ",");
  static const std::regex kWrap(R"(\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\})");
  for (int i = 0; i < 3; ++i) s = std::regex_replace(s, kWrap, " $1 ");
  for (const char* cmd : {"\\left", "\\right", "\\displaystyle", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr",
                          "\\big", "\\Big", "\\!", "\\,", "\\;", "\\:", "\\quad", "\\qquad", "\\limits"}) {
    remove_command(&s, cmd);
  }
  // "\ " (a LaTeX space) but not the "\\" row break of a matrix followed by a space.
  {
    std::string t;
    t.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
        t += "\\\\";  // a row break, kept whole
        ++i;
      } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == ' ') {
        t += ' ';
        ++i;
      } else {
        t += s[i];
      }
    }
    s = std::move(t);
  }
  replace_all(&s, "~", " ");
  replace_all(&s, "\\dfrac", "\\frac");
  replace_all(&s, "\\tfrac", "\\frac");
  replace_all(&s, "\\cfrac", "\\frac");
  replace_all(&s, "\\$", "");
  replace_all(&s, "$", "");
  replace_all(&s, "^\\circ", "");
  replace_all(&s, "^{\\circ}", "");
  replace_all(&s, "\\circ", "");
  replace_all(&s, "\\degree", "");
  replace_all(&s, "°", "");
  replace_all(&s, "{,}", ",");
  replace_all(&s, "\\le ", "\\leq ");
  replace_all(&s, "\\ge ", "\\geq ");
  // Brace-less arguments: \frac12 -> \frac{1}{2}, \frac1{x} -> \frac{1}{x}, \sqrt2 -> \sqrt{2}.
  static const std::regex kFracDigits(R"(\\frac\s*(\d)\s*(\d))");
  s = std::regex_replace(s, kFracDigits, "\\frac{$1}{$2}");
  static const std::regex kFracDigit(R"(\\frac\s*(\d)\s*\{)");
  s = std::regex_replace(s, kFracDigit, "\\frac{$1}{");
  static const std::regex kFracBraceDigit(R"(\\frac\s*(\{[^{}]*\})\s*(\d))");
  s = std::regex_replace(s, kFracBraceDigit, "\\frac$1{$2}");
  static const std::regex kSqrtDigit(R"(\\sqrt\s*(\d+))");
  s = std::regex_replace(s, kSqrtDigit, "\\sqrt{$1}");
  // Thousands separators: 1,000,000 -> 1000000 (groups of exactly three digits, not a list like 1,2).
  static const std::regex kThousands(R"((^|[^\d.])(\d{1,3})((?:,\d{3})+)(?![\d]))");
  std::smatch m;
  for (int guard = 0; guard < 20 && std::regex_search(s, m, kThousands); ++guard) {
    std::string digits = m[3].str();
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    s = m.prefix().str() + m[1].str() + m[2].str() + digits + m.suffix().str();
  }
  // Unit words after a number.
  static const std::vector<std::regex> kUnitRes = [] {
    std::vector<std::regex> v;
    for (const char* u : kUnits) {
      std::string w = u;
      replace_all(&w, "^", "\\s*\\^");
      v.emplace_back(R"((\d|\})\s*)" + w + R"(\s*(?=$|,))");  // a unit ends an answer or a list item
    }
    return v;
  }();
  for (const std::regex& unit : kUnitRes) {
    if (std::regex_search(s, unit)) s = std::regex_replace(s, unit, "$1");
  }
  // A multiple-choice label before the value: "(B) 12" -> "12" (AMC answers are written \textbf{(B) }12).
  static const std::regex kChoice(R"(^\s*\(\s*[A-E]\s*\)\s*(?=\S))");
  s = std::regex_replace(s, kChoice, "");
  // Mixed numbers: 2\frac{1}{2} (an integer right before a fraction of integers) means 2 + 1/2.
  static const std::regex kMixed(R"((^|[^\d.^_{])(\d+)\s*\\frac\{(\d+)\}\{(\d+)\})");
  s = std::regex_replace(s, kMixed, "$1($2+\\frac{$3}{$4})");
  // Trim, drop trailing periods and a leading "is".
  size_t b = s.find_first_not_of(" \t\n"), e = s.find_last_not_of(" \t\n.");
  s = b == std::string::npos || e == std::string::npos || e < b ? "" : s.substr(b, e - b + 1);
  return s;
}

}  // namespace ascent
