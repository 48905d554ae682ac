#include "rewards/math_equiv.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <complex>

#include "absl/strings/str_cat.h"

namespace ascent {

using GiNaC::ex;
using Kind = MathValue::Kind;

namespace {

struct Timeout {};

bool has_symbols(const ex& e, std::vector<GiNaC::symbol>* out) {
  for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it) {
    if (GiNaC::is_a<GiNaC::symbol>(*it)) {
      const GiNaC::symbol& s = GiNaC::ex_to<GiNaC::symbol>(*it);
      if (std::find_if(out->begin(), out->end(), [&](const GiNaC::symbol& t) { return t.is_equal(s); }) ==
          out->end()) {
        out->push_back(s);
      }
    }
  }
  return !out->empty();
}

bool to_complex(const ex& e, std::complex<double>* out) {
  ex v = e.evalf();
  if (!GiNaC::is_a<GiNaC::numeric>(v)) return false;
  const GiNaC::numeric n = GiNaC::ex_to<GiNaC::numeric>(v);
  *out = {GiNaC::real(n).to_double(), GiNaC::imag(n).to_double()};
  return std::isfinite(out->real()) && std::isfinite(out->imag());
}

// Two numbers that did not simplify to the same exact value (docs/rewards.md, "numbers"):
//  - exact on both sides (integers and rationals, GiNaC numerics): they differ, at every magnitude
//    (1/2^98 is not 1/2^99, 2^98 + 1 is not 2^98);
//  - evaluated (radicals, pi, functions): equal up to floating-point noise, relative 1e-12 (absolute 1e-15
//    for an expression that should be 0);
//  - and when either side was written as a decimal (a rounded value: 0.333333 vs 1/3, 1.414214 vs sqrt 2):
//    equal after rounding both to 6 decimals, as math-verify's float_rounding = 6, where that keeps 3 or more
//    significant digits (|x| >= 0.001); smaller values compare at 6 significant digits, so that 1.5e-8 and
//    2e-8 differ. Not a relative 1e-6: 5867986 and 5867987 differ.
bool close_numbers(std::complex<double> a, std::complex<double> b, bool exact, bool decimal) {
  const double diff = std::abs(a - b), scale = std::max(std::abs(a), std::abs(b));
  if (diff <= 1e-12 * scale && !exact) return true;
  if (diff < 1e-15 && !exact && !decimal) return true;
  if (!decimal || a.imag() != 0 || b.imag() != 0 || scale > 1e12) return false;
  if (scale >= 1e-3) return std::llround(a.real() * 1e6) == std::llround(b.real() * 1e6);
  if (!(scale > 0)) return false;                                         // both exactly 0 returned above
  const double unit = std::pow(10.0, std::floor(std::log10(scale)) - 5);  // 6 significant digits
  return std::llround(a.real() / unit) == std::llround(b.real() / unit);
}

bool expr_equal(const ex& a, const ex& b, bool decimal) {
  const ex d = a - b;
  try {
    if (GiNaC::normal(GiNaC::expand(d)).is_zero()) return true;
  } catch (const std::exception&) {
  }
  std::vector<GiNaC::symbol> syms;
  if (!has_symbols(d, &syms)) {
    std::complex<double> x, y;
    const bool exact = GiNaC::is_a<GiNaC::numeric>(a) && GiNaC::is_a<GiNaC::numeric>(b) &&
                       GiNaC::ex_to<GiNaC::numeric>(a).is_rational() &&
                       GiNaC::ex_to<GiNaC::numeric>(b).is_rational();
    return to_complex(a, &x) && to_complex(b, &y) && close_numbers(x, y, exact, decimal);
  }
  // Free symbols (infinity is a symbol too: -oo vs oo differ here). Compare values at 3 fixed points.
  const double points[3][4] = {
      {0.3719, 1.2071, 2.1553, 0.8312}, {1.7341, 0.4429, 0.9973, 3.1191}, {2.6517, 1.9183, 0.2707, 1.4431}};
  for (const auto& pt : points) {
    GiNaC::exmap m;
    for (size_t i = 0; i < syms.size(); ++i)
      m[syms[i]] = GiNaC::numeric(pt[i % 4] + 0.1 * static_cast<double>(i / 4));
    std::complex<double> x, y;
    try {
      if (!to_complex(a.subs(m), &x) || !to_complex(b.subs(m), &y)) return false;
    } catch (const std::exception&) {
      return false;
    }
    const double diff = std::abs(x - y), scale = std::max({std::abs(x), std::abs(y), 1e-300});
    if (diff > 1e-9 * scale && diff > 1e-12) return false;
  }
  return true;
}

bool is_lone_symbol(const MathValue& v) {
  return v.kind == Kind::kExpr && GiNaC::is_a<GiNaC::symbol>(v.expr);
}

class Comparer {
 public:
  explicit Comparer(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}

  bool eq(const MathValue& g, const MathValue& p) {
    if (std::chrono::steady_clock::now() > deadline_) throw Timeout{};
    // Equations against values: x = 3 vs 3 (either side).
    if (g.kind == Kind::kEquation && p.kind != Kind::kEquation && is_lone_symbol(g.items[0]))
      return eq(g.items[1], p);
    if (p.kind == Kind::kEquation && g.kind != Kind::kEquation && is_lone_symbol(p.items[0]))
      return eq(g, p.items[1]);
    // A one-element set / list vs its element.
    if ((g.kind == Kind::kSet) && g.items.size() == 1 && p.kind != Kind::kSet) return eq(g.items[0], p);
    if ((p.kind == Kind::kSet) && p.items.size() == 1 && g.kind != Kind::kSet) return eq(g, p.items[0]);
    if (g.kind == Kind::kText || p.kind == Kind::kText) return text_key(g.text) == text_key(p.text);
    switch (g.kind) {
      case Kind::kExpr:
        if (p.kind != Kind::kExpr) return false;
        return expr_eq(g, p);
      case Kind::kBracketed:
        if (p.kind == Kind::kBracketed) {
          return g.open == p.open && g.close == p.close && ordered(g.items, p.items);
        }
        if (p.kind == Kind::kList && g.open == '(' && g.close == ')') return ordered(g.items, p.items);
        return false;
      case Kind::kSet:
      case Kind::kList:
        if (p.kind == Kind::kSet || p.kind == Kind::kList) return unordered(g.items, p.items);
        if (g.kind == Kind::kList && p.kind == Kind::kBracketed && p.open == '(' && p.close == ')') {
          return ordered(g.items, p.items);
        }
        return false;
      case Kind::kUnion:
        return p.kind == Kind::kUnion && unordered(g.items, p.items);
      case Kind::kMatrix:
        if (p.kind != Kind::kMatrix || g.rows.size() != p.rows.size()) return false;
        for (size_t r = 0; r < g.rows.size(); ++r) {
          if (!ordered(g.rows[r], p.rows[r])) return false;
        }
        return true;
      case Kind::kEquation:
        if (p.kind != Kind::kEquation) return false;
        if (eq(g.items[0], p.items[0]) && eq(g.items[1], p.items[1])) return true;
        if (eq(g.items[0], p.items[1]) && eq(g.items[1], p.items[0])) return true;
        return proportional(g, p);
      case Kind::kRelation:
        if (p.kind != Kind::kRelation) return false;
        if (g.op == p.op && eq(g.items[0], p.items[0]) && eq(g.items[1], p.items[1])) return true;
        return mirrored(g.op) == p.op && eq(g.items[0], p.items[1]) && eq(g.items[1], p.items[0]);
      case Kind::kText:
        return false;
    }
    return false;
  }

 private:
  static std::string text_key(const std::string& s) {
    std::string k;
    for (char c : s) {
      if (!std::isspace(static_cast<unsigned char>(c)) && c != '{' && c != '}' && c != '(' && c != ')') {
        k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    return k;
  }
  static std::string mirrored(const std::string& op) {
    if (op == "<") return ">";
    if (op == ">") return "<";
    if (op == "<=") return ">=";
    if (op == ">=") return "<=";
    return op;
  }

  bool expr_eq(const MathValue& g, const MathValue& p) {
    const bool decimal = g.decimal || p.decimal;
    if (g.percent == p.percent) return expr_equal(g.expr, p.expr, decimal);
    const MathValue& pc = g.percent ? g : p;
    const MathValue& other = g.percent ? p : g;
    return expr_equal(pc.expr / 100, other.expr, decimal) || expr_equal(pc.expr, other.expr, decimal);
  }

  bool ordered(const std::vector<MathValue>& a, const std::vector<MathValue>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!eq(a[i], b[i])) return false;
    }
    return true;
  }

  bool unordered(const std::vector<MathValue>& a, const std::vector<MathValue>& b) {
    if (a.size() != b.size()) return false;
    std::vector<char> used(b.size(), 0);
    for (const MathValue& x : a) {
      bool found = false;
      for (size_t j = 0; j < b.size() && !found; ++j) {
        if (!used[j] && eq(x, b[j])) used[j] = 1, found = true;
      }
      if (!found) return false;
    }
    return true;
  }

  bool proportional(const MathValue& g, const MathValue& p) {
    if (g.items[0].kind != Kind::kExpr || g.items[1].kind != Kind::kExpr || p.items[0].kind != Kind::kExpr ||
        p.items[1].kind != Kind::kExpr) {
      return false;
    }
    const ex a = g.items[0].expr - g.items[1].expr, b = p.items[0].expr - p.items[1].expr;
    if (a.is_zero() || b.is_zero()) return false;
    try {
      const ex q = GiNaC::normal(a / b);
      std::vector<GiNaC::symbol> syms;
      return GiNaC::is_a<GiNaC::numeric>(q) && !q.is_zero() && !has_symbols(q, &syms);
    } catch (const std::exception&) {
      return false;
    }
  }

  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

EquivResult math_equivalent(const MathValue& gold, const MathValue& pred,
                            std::chrono::steady_clock::time_point deadline) {
  try {
    Comparer c(deadline);
    const bool e = c.eq(gold, pred);
    return {e, e ? "equivalent"
                 : absl::StrCat("not equivalent (", math_kind_name(gold.kind), " vs ",
                                math_kind_name(pred.kind), ")")};
  } catch (const Timeout&) {
    return {false, "time limit reached while comparing"};
  } catch (const std::exception& e) {
    return {false, absl::StrCat("CAS error: ", e.what())};
  }
}

}  // namespace ascent
