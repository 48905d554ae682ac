#include "tools/calculator.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/ginac_lock.h"
#include "ginac/ginac.h"

namespace ascent {

namespace {

using GiNaC::numeric;

constexpr size_t kMaxChars = 256;
constexpr int kMaxDepth = 32;
constexpr long kMaxExponent = 4096;
constexpr long kMaxBits = 3322;  // about 1,000 decimal digits

struct CalcError {
  std::string message;
};

long bits(const numeric& x) {
  return std::max(x.numer().int_length(), x.denom().int_length());
}

numeric checked(const numeric& x) {
  if (bits(x) > kMaxBits) throw CalcError{"the result has more than 1000 digits"};
  return x;
}

// A recursive-descent parser that evaluates as it goes; depth bounded by kMaxDepth.
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}
  numeric parse() {
    numeric v = sum();
    skip();
    if (i_ != s_.size()) fail("unexpected character");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw CalcError{absl::StrCat("syntax error at character ", i_ + 1, ": ", what)};
  }
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool eat(const char* tok) {
    skip();
    const size_t n = std::char_traits<char>::length(tok);
    if (s_.compare(i_, n, tok) != 0) return false;
    i_ += n;
    return true;
  }
  numeric sum() {
    numeric v = product();
    for (;;) {
      if (eat("+"))
        v = checked(v + product());
      else if (eat("-"))
        v = checked(v - product());
      else
        return v;
    }
  }
  numeric product() {
    numeric v = unary();
    for (;;) {
      if (eat("*")) {
        v = checked(v * unary());
      } else if (eat("/")) {
        const numeric d = unary();
        if (d.is_zero()) throw CalcError{"division by zero"};
        v = checked(v / d);
      } else {
        return v;
      }
    }
  }
  numeric unary() {
    if (eat("-")) return -unary();
    if (eat("+")) return unary();
    return power();
  }
  numeric power() {
    const numeric base = atom();
    if (!eat("^") && !eat("**")) return base;
    const numeric e = unary();
    if (!e.is_integer() || GiNaC::abs(e) > kMaxExponent) {
      throw CalcError{absl::StrCat("exponents are integers of magnitude at most ", kMaxExponent)};
    }
    if (base.is_zero() && e.is_negative()) throw CalcError{"division by zero"};
    // At least (bits - 1) * |e| bits: refuse before computing what is surely too large, check the rest after.
    if ((bits(base) - 1) * std::abs(e.to_long()) > kMaxBits) {
      throw CalcError{"the result has more than 1000 digits"};
    }
    return checked(base.power(e));
  }
  numeric atom() {
    skip();
    if (eat("(")) {
      if (++depth_ > kMaxDepth) fail("parentheses nest too deep");
      numeric v = sum();
      if (!eat(")")) fail("expected )");
      --depth_;
      return v;
    }
    const size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    std::string digits = s_.substr(start, i_ - start);
    size_t frac = 0;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const size_t f0 = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      frac = i_ - f0;
      digits += s_.substr(f0, frac);
    }
    if (digits.empty()) fail("expected a number");
    // Exact: the digits as an integer over 10^frac.
    return numeric(digits.c_str()) / numeric(10).power(static_cast<long>(frac));
  }

  const std::string& s_;
  size_t i_ = 0;
  int depth_ = 0;
};

std::string print(const numeric& v) {
  if (v.is_integer()) {
    std::ostringstream os;
    os << v;
    return os.str();
  }
  const double d = v.to_double();
  if (!std::isfinite(d)) throw CalcError{"the result is out of range"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", d);
  return buf;
}

}  // namespace

ToolOutput calculator_evaluate(const std::string& expression) {
  if (expression.size() > kMaxChars) {
    return tool_error(kToolErrorFailed,
                      absl::StrCat("the expression is longer than ", kMaxChars, " characters"));
  }
  absl::MutexLock lock(&ginac_mutex());  // GiNaC's global objects: one thread at a time (core/ginac_lock.h)
  try {
    return tool_ok(print(Parser(expression).parse()));
  } catch (const CalcError& e) {
    return tool_error(kToolErrorFailed, e.message);
  } catch (const std::exception& e) {  // CLN/GiNaC's own errors (none expected within the bounds above)
    return tool_error(kToolErrorFailed, e.what());
  }
}

nlohmann::ordered_json Calculator::schema() const {
  return nlohmann::ordered_json::parse(R"({"type": "function", "function": {"name": "calculator",
    "description": "Evaluates an arithmetic expression exactly: + - * / ^ and parentheses on decimal numbers.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string",
      "description": "for example (12+3)*7/2"}}, "required": ["expression"]}}})");
}

ToolOutput Calculator::run(const nlohmann::ordered_json& arguments, ToolDeadline) const {
  auto e = arguments.find("expression");
  if (e == arguments.end() || !e->is_string()) {
    return tool_error(kToolErrorBadArguments, "calculator: give {\"expression\": \"...\"}");
  }
  return calculator_evaluate(e->get<std::string>());
}

}  // namespace ascent
