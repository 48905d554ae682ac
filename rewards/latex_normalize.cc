#include "rewards/latex_normalize.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <string>
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

// Unit words (lower case) dropped when they follow a number and end the answer or a list item, alone or as a
// phrase: "64 square feet", "3 m/s", "9.8 m/s^2", "5 km per hour", "12 cm^{2}".
const std::set<std::string>& unit_words() {
  static const std::set<std::string> w = {
      "units",   "unit",   "square",  "sq",     "cubic", "cu",        "per",    "cm",      "mm",
      "km",      "meters", "meter",   "metres", "metre", "inches",    "inch",   "in",      "feet",
      "foot",    "ft",     "yards",   "yard",   "yd",    "miles",     "mile",   "mi",      "mph",
      "kph",     "hours",  "hour",    "hr",     "hrs",   "minutes",   "minute", "min",     "mins",
      "seconds", "second", "sec",     "secs",   "days",  "day",       "weeks",  "week",    "months",
      "month",   "years",  "year",    "yr",     "yrs",   "dollars",   "dollar", "cents",   "cent",
      "degrees", "degree", "deg",     "pounds", "pound", "lb",        "lbs",    "ounces",  "ounce",
      "oz",      "grams",  "gram",    "kg",     "mg",    "kilograms", "liters", "liter",   "litres",
      "litre",   "ml",     "gallons", "gallon", "gal",   "students",  "people", "persons", "ways",
      "sides",   "times"};
  return w;
}

bool is_letter_at(const std::string& s, size_t i) {
  return i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])) != 0;
}

size_t skip_spaces_back(const std::string& s, size_t e) {
  while (e > 0 && s[e - 1] == ' ') --e;
  return e;
}

// The length of a unit exponent ending at e (^2, ^{3}, ^ 2), or 0.
size_t exponent_back(const std::string& s, size_t e) {
  for (const char* x : {"^{2}", "^{3}", "^2", "^3"}) {
    const size_t n = std::char_traits<char>::length(x);
    if (e >= n && s.compare(e - n, n, x) == 0) return n;
  }
  return 0;
}

// s[0, end) without a unit phrase at its back, when a number (or a closing brace) stands before the phrase.
// Single letters (m, s, g, h, L) count only beside a '/' and apart from the number ("3 m/s", "9.8 m/s^2"),
// so that 2m, 6 s^2, 3x^2 and x/y stay math.
size_t unit_phrase_start(const std::string& s, size_t end) {
  size_t e = skip_spaces_back(s, end), cut = end;
  bool any = false, slash_right = false;
  while (true) {
    const size_t ex = exponent_back(s, e);
    const size_t we = ex > 0 ? skip_spaces_back(s, e - ex) : e;  // "cm ^2" once \text{ cm}^2 is unwrapped
    size_t wb = we;
    while (wb > 0 && is_letter_at(s, wb - 1)) --wb;
    if (wb == we || (wb > 0 && s[wb - 1] == '\\')) break;  // no word, or a LaTeX command
    std::string word = s.substr(wb, we - wb);
    const size_t left = skip_spaces_back(s, wb);
    const bool slash_left = left > 0 && s[left - 1] == '/';
    bool ok;
    if (word.size() == 1) {
      ok = std::string("msghL").find(word[0]) != std::string::npos && (slash_left || slash_right) &&
           (slash_left || left < wb);
    } else {
      std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
      ok = unit_words().count(word) > 0;
    }
    if (!ok) break;
    any = true, cut = wb;
    e = slash_left ? skip_spaces_back(s, left - 1) : left;
    slash_right = slash_left;
    if (slash_left) continue;
    if (e >= 5 && s.compare(e - 5, 5, "\\cdot") == 0) e = skip_spaces_back(s, e - 5);
  }
  if (!any || slash_right) return end;
  const size_t before = skip_spaces_back(s, cut);
  if (before == 0 || !(std::isdigit(static_cast<unsigned char>(s[before - 1])) || s[before - 1] == '}'))
    return end;
  return before;
}

// Drops the unit phrase of every top-level comma-separated item.
std::string drop_units(const std::string& s) {
  std::string out;
  size_t item = 0;
  int depth = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : ',';
    if (c == '{' || c == '(' || c == '[') ++depth;
    if (c == '}' || c == ')' || c == ']') --depth;
    if (c != ',' || depth > 0) continue;
    out += s.substr(item, unit_phrase_start(s, i) - item);
    if (i < s.size()) out += ',';
    item = i + 1;
  }
  return out;
}

}  // namespace

std::string latex_normalize(const std::string& in) {
  std::string s = in;
  // No-break, thin and narrow no-break spaces (U+00A0, U+2009, U+202F) are spaces.
  for (const char* space : {"\xC2\xA0", "\xE2\x80\x89", "\xE2\x80\xAF"}) replace_all(&s, space, " ");
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
  // Unit phrases after a number.
  s = drop_units(s);
  // A multiple-choice label before the value: "(B) 12" -> "12" (AMC answers are written \textbf{(B) }12).
  static const std::regex kChoice(R"(^\s*\(\s*[A-E]\s*\)\s*(?=\S))");
  s = std::regex_replace(s, kChoice, "");
  // Mixed numbers: 2\frac{1}{2} (an integer right before a fraction of integers) and, in plain text, 3 1/2 (an
  // integer, a space, a fraction) mean 2 + 1/2 and 3 + 1/2.
  static const std::regex kMixed(R"((^|[^\d.^_{])(\d+)\s*\\frac\{(\d+)\}\{(\d+)\})");
  s = std::regex_replace(s, kMixed, "$1($2+\\frac{$3}{$4})");
  static const std::regex kMixedPlain(R"((^|[^\d.^_{/])(\d+)\s+(\d+)\s*/\s*(\d+)(?![\d./]))");
  s = std::regex_replace(s, kMixedPlain, "$1($2+\\frac{$3}{$4})");
  // Trim, drop trailing periods and a leading "is".
  size_t b = s.find_first_not_of(" \t\n"), e = s.find_last_not_of(" \t\n.");
  s = b == std::string::npos || e == std::string::npos || e < b ? "" : s.substr(b, e - b + 1);
  return s;
}

}  // namespace ascent
