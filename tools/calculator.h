// The calculator tool: {"expression": "(12+3)*7/2"} -> "52.5". Exact arithmetic on GiNaC's numbers (CLN's
// integers and rationals: no rounding until the answer is printed), so that a policy learns to rely on it.
//   expression := sum;  sum := product (("+" | "-") product)*;  product := unary (("*" | "/") unary)*
//   unary := ("-" | "+") unary | power;  power := atom (("^" | "**") unary)?   (right-associative)
//   atom := number | "(" sum ")";  number := digits ["." digits]
// The answer: an integer in full; otherwise the value to 12 significant digits. Bounded so that no call can
// take the actor's time or memory: an expression of at most 256 characters nesting at most 32 parentheses,
// integer exponents of magnitude at most 4096 and results of at most 1,000 digits (kToolErrorFailed beyond).
// Thread-safe: it holds the process's GiNaC lock (core/ginac_lock.h), as the math verifier does.
// Errors (ok = false): bad_arguments (no "expression" string), failed (syntax with its position, division by
// zero, a too-large result).
#pragma once

#include "tools/tool.h"

namespace ascent {

class Calculator : public Tool {
 public:
  std::string name() const override { return "calculator"; }
  nlohmann::ordered_json schema() const override;
  ToolOutput run(const nlohmann::ordered_json& arguments, ToolDeadline deadline) const override;
};

// The calculator's evaluation itself: the answer text, or an error message (`ok` false).
ToolOutput calculator_evaluate(const std::string& expression);

}  // namespace ascent
