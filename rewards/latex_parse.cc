#include "rewards/latex_parse.h"

#include <cctype>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ascent {

using GiNaC::ex;

const char* math_kind_name(MathValue::Kind k) {
  switch (k) {
    case MathValue::Kind::kExpr:
      return "expression";
    case MathValue::Kind::kBracketed:
      return "tuple/interval";
    case MathValue::Kind::kSet:
      return "set";
    case MathValue::Kind::kList:
      return "list";
    case MathValue::Kind::kMatrix:
      return "matrix";
    case MathValue::Kind::kEquation:
      return "equation";
    case MathValue::Kind::kRelation:
      return "relation";
    case MathValue::Kind::kUnion:
      return "union";
    case MathValue::Kind::kText:
      return "text";
  }
  return "?";
}

namespace {

constexpr size_t kMaxLength = 2000;
constexpr int kMaxDepth = 60;

struct ParseError {
  std::string message;
};

class Parser {
 public:
  Parser(const std::string& s, SymbolTable* symbols) : s_(s), symbols_(symbols) {}

  MathValue parse_top() {
    MathValue v = parse_union();
    skip_ws();
    if (pos_ < s_.size()) fail(absl::StrCat("unexpected '", s_.substr(pos_, 10), "'"));
    return v;
  }

 private:
  // ---- lexing helpers
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool at_end() {
    skip_ws();
    return pos_ >= s_.size();
  }
  char peek() {
    skip_ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool starts(const char* t) {
    skip_ws();
    return s_.compare(pos_, std::strlen(t), t) == 0;
  }
  // A control word at pos, not the prefix of a longer one (\in vs \infty).
  bool starts_cmd(const char* cmd) {
    const size_t n = std::strlen(cmd);
    return starts(cmd) && !(pos_ + n < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_ + n])));
  }
  // A control word at pos (\frac): true and consumed if it is exactly `cmd` (not a prefix of a longer word).
  bool accept_cmd(const char* cmd) {
    skip_ws();
    const size_t n = std::strlen(cmd);
    if (s_.compare(pos_, n, cmd) != 0) return false;
    if (pos_ + n < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_ + n])) &&
        std::isalpha(static_cast<unsigned char>(cmd[n - 1]))) {
      return false;
    }
    pos_ += n;
    return true;
  }
  bool accept(const char* t) {
    if (!starts(t)) return false;
    pos_ += std::strlen(t);
    return true;
  }
  void expect(const char* t) {
    if (!accept(t))
      fail(absl::StrCat("expected '", t, "'",
                        pos_ < s_.size() ? absl::StrCat(" at '", s_.substr(pos_, 10), "'") : " at the end"));
  }
  [[noreturn]] void fail(const std::string& m) { throw ParseError{m}; }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p(p) {
      if (++p->depth_ > kMaxDepth) p->fail("nested too deeply");
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };

  // ---- structures
  MathValue parse_union() {
    MathValue first = parse_list();
    if (!starts("\\cup")) return first;
    MathValue u;
    u.kind = MathValue::Kind::kUnion;
    u.items.push_back(std::move(first));
    while (accept_cmd("\\cup")) u.items.push_back(parse_list());
    return u;
  }

  MathValue parse_list() {
    std::vector<MathValue> items;
    items.push_back(parse_relation());
    while (peek() == ',') {
      ++pos_;
      items.push_back(parse_relation());
    }
    if (items.size() == 1) return std::move(items[0]);
    MathValue v;
    v.kind = MathValue::Kind::kList;
    v.items = std::move(items);
    return v;
  }

  MathValue parse_relation() {
    MathValue lhs = parse_item();
    static const std::pair<const char*, const char*> kOps[] = {
        {"\\leq", "<="}, {"\\geq", ">="}, {"\\neq", "!="}, {"\\ne", "!="}, {"\\lt", "<"}, {"\\gt", ">"},
        {"<=", "<="},    {">=", ">="},    {"!=", "!="},    {"<", "<"},     {">", ">"}};
    if (accept("=") || accept_cmd("\\in")) {  // x \in [1, 2] reads as x = [1, 2]
      MathValue eq;
      eq.kind = MathValue::Kind::kEquation;
      eq.items.push_back(std::move(lhs));
      eq.items.push_back(parse_item());
      // a = b = c: keep the last side (chains like x = 2 + 1 = 3 end with the answer).
      while (accept("=")) eq.items[1] = parse_item();
      return eq;
    }
    for (auto [tok, op] : kOps) {
      if (tok[0] == '\\' ? accept_cmd(tok) : accept(tok)) {
        MathValue r;
        r.kind = MathValue::Kind::kRelation;
        r.op = op;
        r.items.push_back(std::move(lhs));
        r.items.push_back(parse_item());
        return r;
      }
    }
    return lhs;
  }

  // An item: a bracketed structure, a set, a matrix, or an expression.
  MathValue parse_item() {
    DepthGuard g(this);
    const size_t save = pos_;
    if (starts("\\{")) {
      pos_ += 2;
      MathValue v;
      v.kind = MathValue::Kind::kSet;
      if (!starts("\\}")) {
        v.items.push_back(parse_relation());
        while (accept(",")) v.items.push_back(parse_relation());
      }
      expect("\\}");
      return v;
    }
    if (starts("\\begin{")) return parse_matrix();
    const char c = peek();
    if (c == '(' || c == '[') {
      // (a, b) / [a, b) ...: a bracketed structure when there is a top-level comma inside.
      ++pos_;
      MathValue first = parse_relation();
      if (peek() == ',') {
        MathValue v;
        v.kind = MathValue::Kind::kBracketed;
        v.open = c;
        v.items.push_back(std::move(first));
        while (accept(",")) v.items.push_back(parse_relation());
        const char close = peek();
        if (close != ')' && close != ']') fail("unclosed bracket");
        ++pos_;
        v.close = close;
        return v;
      }
      pos_ = save;  // a parenthesised expression: reparse as one
    }
    MathValue v;
    v.kind = MathValue::Kind::kExpr;
    const bool outer_decimal = decimal_;
    decimal_ = false;
    v.expr = parse_expr();
    v.decimal = decimal_;
    decimal_ = decimal_ || outer_decimal;
    if (accept("\\%") || accept("%")) v.percent = true;
    return v;
  }

  MathValue parse_matrix() {
    expect("\\begin{");
    const size_t close = s_.find('}', pos_);
    if (close == std::string::npos) fail("unclosed \\begin{");
    const std::string env = s_.substr(pos_, close - pos_);
    pos_ = close + 1;
    if (env != "pmatrix" && env != "bmatrix" && env != "matrix" && env != "vmatrix" && env != "array") {
      fail(absl::StrCat("environment '", env, "' is not a matrix"));
    }
    if (env == "array" && peek() == '{') {  // column spec
      const size_t e = s_.find('}', pos_);
      if (e == std::string::npos) fail("unclosed array column spec");
      pos_ = e + 1;
    }
    MathValue m;
    m.kind = MathValue::Kind::kMatrix;
    m.rows.emplace_back();
    const std::string end = absl::StrCat("\\end{", env, "}");
    while (!starts(end.c_str())) {
      if (at_end()) fail(absl::StrCat("missing ", end));
      MathValue cell;
      cell.kind = MathValue::Kind::kExpr;
      const bool outer_decimal = decimal_;
      decimal_ = false;
      cell.expr = parse_expr();
      cell.decimal = decimal_;
      decimal_ = decimal_ || outer_decimal;
      m.rows.back().push_back(std::move(cell));
      if (accept("&")) continue;
      if (accept("\\\\")) {
        if (!starts(end.c_str())) m.rows.emplace_back();
        continue;
      }
      if (!starts(end.c_str())) fail("expected & or \\\\ in a matrix");
    }
    pos_ += end.size();
    for (const auto& r : m.rows) {
      if (r.size() != m.rows[0].size()) fail("matrix rows differ in length");
    }
    return m;
  }

  // ---- expressions
  ex parse_expr() {
    DepthGuard g(this);
    ex e = parse_term();
    for (;;) {
      if (accept("+")) {
        e += parse_term();
      } else if (accept("-")) {
        e -= parse_term();
      } else {
        return e;
      }
    }
  }

  bool starts_primary() {
    const char c = peek();
    if (c == '\0') return false;
    if (std::isdigit(static_cast<unsigned char>(c)) || std::isalpha(static_cast<unsigned char>(c)) ||
        c == '(' || c == '{' || c == '.') {
      return true;
    }
    if (c == '\\') {
      for (const char* stop : {"\\cup", "\\leq", "\\geq", "\\neq", "\\ne", "\\lt", "\\gt", "\\end", "\\in",
                               "\\cdot", "\\times", "\\div", "\\text", "\\right"}) {
        if (starts_cmd(stop)) return false;
      }
      for (const char* stop : {"\\}", "\\%", "\\\\", "\\{"}) {
        if (starts(stop)) return false;
      }
      return true;
    }
    return false;
  }

  ex parse_term() {
    ex e = parse_unary();
    for (;;) {
      if (accept("*") || accept_cmd("\\cdot") || accept_cmd("\\times")) {
        e *= parse_unary();
      } else if (accept("/") || accept_cmd("\\div")) {
        e /= nonzero(parse_unary());
      } else if (starts_primary()) {
        e *= parse_power();  // implicit multiplication
      } else {
        return e;
      }
    }
  }

  ex nonzero(const ex& d) {
    if (d.is_zero()) fail("division by zero");
    return d;
  }

  ex parse_unary() {
    DepthGuard g(this);
    if (accept("-")) return -parse_unary();
    if (accept("+")) return parse_unary();
    return parse_power();
  }

  ex parse_power() {
    ex base = parse_postfix();
    if (accept("^")) {
      DepthGuard g(this);
      ex e;
      if (peek() == '{') {
        ++pos_;
        e = parse_expr();
        expect("}");
      } else if (accept("-")) {
        e = -parse_postfix_atom_single();
      } else {
        e = parse_postfix_atom_single();
      }
      return make_power(base, e);
    }
    return base;
  }

  ex make_power(const ex& base, const ex& e) {
    if (GiNaC::is_a<GiNaC::numeric>(e) && GiNaC::is_a<GiNaC::numeric>(base)) {
      const GiNaC::numeric n = GiNaC::ex_to<GiNaC::numeric>(e);
      const GiNaC::numeric b = GiNaC::ex_to<GiNaC::numeric>(base);
      if (n.is_integer() && GiNaC::abs(n) > 10000 && !(b.is_zero() || b == 1 || b == -1)) {
        fail("integer power of a number above 10^4: too large to verify exactly");
      }
      // A number to a complex power (3e10^i): GiNaC's evaluation throws from inside pow() and leaks the
      // half-built power (found by fuzz/fuzz_math_verify.cc); no answer of a maths task needs one.
      if (!n.is_real()) fail("a number to a complex power");
      // 0^0 and 0^-k: GiNaC throws from the same place (the same leak); they have no value to compare.
      if (b.is_zero() && !n.is_positive()) fail("0 to a power that is not positive");
    }
    return GiNaC::pow(base, e);
  }

  // After ^ without braces: one digit, one letter, or one command atom (x^2, e^x, 2^\pi).
  ex parse_postfix_atom_single() {
    const char c = peek();
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++pos_;
      return GiNaC::numeric(c - '0');
    }
    return parse_primary();
  }

  ex parse_postfix_atom_single_or_group() {
    if (peek() == '{') {
      ++pos_;
      ex e = parse_expr();
      expect("}");
      return e;
    }
    return parse_postfix_atom_single();
  }

  ex parse_postfix() {
    ex e = parse_primary();
    while (peek() == '!') {
      ++pos_;
      if (!GiNaC::is_a<GiNaC::numeric>(e) || !GiNaC::ex_to<GiNaC::numeric>(e).is_nonneg_integer()) {
        fail("factorial of a non-integer");
      }
      if (GiNaC::ex_to<GiNaC::numeric>(e) > 1000) fail("factorial above 1000: too large to verify");
      e = GiNaC::factorial(e);
    }
    return e;
  }

  ex group_arg() {  // {expr} or a single atom (\sin x, \sqrt x)
    if (peek() == '{') {
      ++pos_;
      ex e = parse_expr();
      expect("}");
      return e;
    }
    return parse_power();
  }

  ex number() {
    skip_ws();
    size_t b = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string intpart = s_.substr(b, pos_ - b), frac;
    if (pos_ < s_.size() && s_[pos_] == '.' && pos_ + 1 < s_.size() &&
        std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
      ++pos_;
      const size_t fb = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      frac = s_.substr(fb, pos_ - fb);
    } else if (pos_ < s_.size() && s_[pos_] == '.' && intpart.size() > 0) {
      ++pos_;  // "5." is 5
    }
    if (intpart.empty() && frac.empty()) fail("bad number");
    if (!frac.empty()) decimal_ = true;
    if (intpart.size() + frac.size() > 400) fail("number too long");
    GiNaC::numeric v(std::string(intpart.empty() ? "0" : intpart).c_str());
    if (!frac.empty())
      v += GiNaC::numeric(frac.c_str()) /
           GiNaC::pow(GiNaC::numeric(10), GiNaC::numeric(static_cast<long>(frac.size())));
    // Scientific notation: 1.5e-3, 2 \times 10^{5} is handled by the operators.
    if (pos_ + 1 < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E') &&
        (std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])) ||
         ((s_[pos_ + 1] == '-' || s_[pos_ + 1] == '+') && pos_ + 2 < s_.size() &&
          std::isdigit(static_cast<unsigned char>(s_[pos_ + 2]))))) {
      ++pos_;
      decimal_ = true;  // 1e5 is a float literal, as in Python
      const bool neg = s_[pos_] == '-';
      if (s_[pos_] == '-' || s_[pos_] == '+') ++pos_;
      const size_t eb = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      const long k = std::stol(s_.substr(eb, std::min<size_t>(pos_ - eb, 6)));
      if (k > 10000) fail("exponent too large");
      v *= GiNaC::pow(GiNaC::numeric(10), GiNaC::numeric(neg ? -k : k));
    }
    return v;
  }

  ex symbol_named(const std::string& name) {
    auto it = symbols_->find(name);
    if (it == symbols_->end()) it = symbols_->emplace(name, GiNaC::symbol(name)).first;
    return it->second;
  }

  ex function_call(const std::string& name) {
    ex base = 10;  // \log_2 8, \log_{10} x
    if (name == "log" && accept("_")) base = parse_postfix_atom_single_or_group();
    // \sin^2 x -> (sin x)^2
    ex power = 1;
    if (accept("^")) power = parse_postfix_atom_single();
    ex arg;
    if (peek() == '(') {
      ++pos_;
      arg = parse_expr();
      expect(")");
    } else {
      arg = group_arg();
    }
    ex r;
    if (name == "sin")
      r = GiNaC::sin(arg);
    else if (name == "cos")
      r = GiNaC::cos(arg);
    else if (name == "tan")
      r = GiNaC::tan(arg);
    else if (name == "cot")
      r = 1 / GiNaC::tan(arg);
    else if (name == "sec")
      r = 1 / GiNaC::cos(arg);
    else if (name == "csc")
      r = 1 / GiNaC::sin(arg);
    else if (name == "arcsin")
      r = GiNaC::asin(arg);
    else if (name == "arccos")
      r = GiNaC::acos(arg);
    else if (name == "arctan")
      r = GiNaC::atan(arg);
    else if (name == "ln")
      r = GiNaC::log(arg);
    else if (name == "log")
      r = GiNaC::log(arg) / GiNaC::log(base);  // no base written: 10
    else if (name == "exp")
      r = GiNaC::exp(arg);
    else
      fail(absl::StrCat("unknown function ", name));
    return power.is_equal(1) ? r : make_power(r, power);
  }

  ex parse_primary() {
    DepthGuard g(this);
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end");
    const char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      return number();
    }
    if (c == '(' || c == '[') {
      ++pos_;
      ex e = parse_expr();
      expect(c == '(' ? ")" : "]");
      return e;
    }
    if (c == '{') {
      ++pos_;
      ex e = parse_expr();
      expect("}");
      return e;
    }
    if (c == '|') {
      ++pos_;
      ex e = parse_expr();
      expect("|");
      return GiNaC::abs(e);
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      // Plain-text function names (sqrt(2), sin(x), pi).
      for (const char* fn : {"sqrt", "sin", "cos", "tan", "ln", "log", "exp", "pi"}) {
        const size_t n = std::strlen(fn);
        if (s_.compare(pos_, n, fn) == 0 &&
            (pos_ + n >= s_.size() || !std::isalpha(static_cast<unsigned char>(s_[pos_ + n])))) {
          pos_ += n;
          if (std::strcmp(fn, "pi") == 0) return GiNaC::Pi;
          if (std::strcmp(fn, "sqrt") == 0) return GiNaC::sqrt(group_or_paren());
          return function_call(fn);
        }
      }
      ++pos_;
      std::string name(1, c);
      if (c == 'e' && !(pos_ < s_.size() && s_[pos_] == '_')) return GiNaC::exp(ex(1));  // Euler's number
      if (c == 'i' && !(pos_ < s_.size() && s_[pos_] == '_')) return GiNaC::I;
      if (accept("_")) {
        if (peek() == '{') {
          const size_t e = s_.find('}', pos_);
          if (e == std::string::npos) fail("unclosed subscript");
          name += "_" + s_.substr(pos_ + 1, e - pos_ - 1);
          pos_ = e + 1;
        } else if (pos_ < s_.size()) {
          name += "_" + std::string(1, s_[pos_++]);
        }
      }
      return symbol_named(name);
    }
    if (c == '\\') {
      const bool frac = accept_cmd("\\frac"), binom = !frac && accept_cmd("\\binom");
      if (frac || binom) {
        ex num = group_arg(), den = group_arg();
        if (binom) {
          if (!GiNaC::is_a<GiNaC::numeric>(num) || !GiNaC::is_a<GiNaC::numeric>(den))
            fail("binomial of non-numbers");
          if (GiNaC::ex_to<GiNaC::numeric>(num) > 100000) fail("binomial too large");
          return GiNaC::binomial(GiNaC::ex_to<GiNaC::numeric>(num), GiNaC::ex_to<GiNaC::numeric>(den));
        }
        return num / nonzero(den);
      }
      if (accept_cmd("\\sqrt")) {
        if (accept("[")) {
          ex n = parse_expr();
          expect("]");
          return make_power(group_arg(), 1 / nonzero(n));
        }
        return GiNaC::sqrt(group_arg());
      }
      if (accept_cmd("\\pi")) return GiNaC::Pi;
      if (accept_cmd("\\infty") || accept_cmd("\\infin")) return symbol_named("\\infty");
      if (accept_cmd("\\exp")) return function_call("exp");
      for (const char* fn :
           {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "ln", "log"}) {
        if (accept_cmd(absl::StrCat("\\", fn).c_str())) return function_call(fn);
      }
      if (accept_cmd("\\mathrm") || accept_cmd("\\mathbf") || accept_cmd("\\boxed")) return group_arg();
      // Greek letters and other words are symbols.
      size_t b = pos_ + 1, e = b;
      while (e < s_.size() && std::isalpha(static_cast<unsigned char>(s_[e]))) ++e;
      if (e == b) fail(absl::StrCat("unexpected '", s_.substr(pos_, 2), "'"));
      const std::string word = s_.substr(b, e - b);
      static const char* const kGreek[] = {"alpha",  "beta", "gamma", "delta", "epsilon", "theta",
                                           "lambda", "mu",   "sigma", "phi",   "omega",   "rho",
                                           "tau",    "psi",  "eta",   "xi",    "zeta"};
      for (const char* gname : kGreek) {
        if (word == gname) {
          pos_ = e;
          return symbol_named("\\" + word);
        }
      }
      fail(absl::StrCat("unknown command \\", word));
    }
    fail(absl::StrCat("unexpected '", std::string(1, c), "'"));
  }

  ex group_or_paren() {
    if (peek() == '(') {
      ++pos_;
      ex e = parse_expr();
      expect(")");
      return e;
    }
    return group_arg();
  }

  const std::string& s_;
  SymbolTable* symbols_;
  size_t pos_ = 0;
  bool decimal_ = false;  // a decimal literal was read in the current item
  int depth_ = 0;
};

}  // namespace

absl::StatusOr<MathValue> latex_parse(const std::string& normalized, SymbolTable* symbols) {
  if (normalized.size() > kMaxLength) {
    return absl::InvalidArgumentError(absl::StrCat("answer longer than ", kMaxLength, " characters"));
  }
  if (normalized.empty()) return absl::InvalidArgumentError("empty answer");
  try {
    Parser p(normalized, symbols);
    MathValue v = p.parse_top();
    v.text = normalized;
    return v;
  } catch (const ParseError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("CAS error: ", e.what()));
  }
}

}  // namespace ascent
