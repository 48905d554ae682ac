// A parsed math answer: an expression (GiNaC), or a structure of them (tuple, interval, set, matrix,
// equation, relation, union), or plain text when it is not math. Built by latex_parse from LaTeX or plain
// text answers; compared by math_equiv.
#pragma once

#include <ginac/ginac.h>

#include <map>
#include <string>
#include <vector>

namespace ascent {

struct MathValue {
  enum class Kind { kExpr, kBracketed, kSet, kList, kMatrix, kEquation, kRelation, kUnion, kText };
  Kind kind = Kind::kText;
  GiNaC::ex expr;                // kExpr
  bool percent = false;          // kExpr written with %: equal to expr / 100 or to expr
  bool decimal = false;          // kExpr holding a decimal (2.5, 1.5e-3): compared after rounding
  char open = 0, close = 0;      // kBracketed: '(' '[' and ')' ']'
  std::vector<MathValue> items;  // bracketed/set/list/union items; equation and relation: lhs, rhs
  std::vector<std::vector<MathValue>> rows;  // kMatrix
  std::string op;                            // kRelation: "<", "<=", ">", ">=", "!="
  std::string text;  // kText: normalised text; every kind: the normalised source, for messages
};

// Symbols by name, shared by the two sides of one comparison so that "x" means the same symbol in both.
using SymbolTable = std::map<std::string, GiNaC::symbol>;

const char* math_kind_name(MathValue::Kind k);

}  // namespace ascent
