// The calculator tool (tools/calculator.h): exact arithmetic against values derived by hand (and Python's
// integers for the long ones), its bounds, and its errors as a tool returns them (never an exception).
#include <gtest/gtest.h>

#include "tools/calculator.h"

namespace ascent {
namespace {

std::string eval_ok(const std::string& e) {
  const ToolOutput o = calculator_evaluate(e);
  EXPECT_TRUE(o.ok) << e << ": " << o.text;
  return o.text;
}

std::string eval_err(const std::string& e) {
  const ToolOutput o = calculator_evaluate(e);
  EXPECT_FALSE(o.ok) << e << " gave " << o.text;
  EXPECT_EQ(o.error_kind, kToolErrorFailed);
  return o.text;
}

TEST(Calculator, ExactArithmetic) {
  EXPECT_EQ(eval_ok("12*7"), "84");
  EXPECT_EQ(eval_ok("(12+3)*7/2"), "52.5");
  EXPECT_EQ(eval_ok(" 1 - 2 - 3 "), "-4");  // left-associative
  EXPECT_EQ(eval_ok("2^3^2"), "512");       // right-associative: 2^9
  EXPECT_EQ(eval_ok("-3^2"), "-9");         // the power binds tighter than the sign
  EXPECT_EQ(eval_ok("2**-2"), "0.25");
  EXPECT_EQ(eval_ok("0.1+0.2"), "0.3");         // exact decimals: no binary rounding
  EXPECT_EQ(eval_ok("1/3"), "0.333333333333");  // 12 significant digits
  EXPECT_EQ(eval_ok("6/4*2"), "3");             // rational until printed
  EXPECT_EQ(eval_ok("2^100"), "1267650600228229401496703205376");
  EXPECT_EQ(eval_ok("99999999999999999999*99999999999999999999"), "9999999999999999999800000000000000000001");
  EXPECT_EQ(eval_ok("((((7))))"), "7");
}

TEST(Calculator, ErrorsNameWhatIsWrong) {
  EXPECT_EQ(eval_err("1/0"), "division by zero");
  EXPECT_EQ(eval_err("0^-1"), "division by zero");
  EXPECT_EQ(eval_err("5/(2-2)"), "division by zero");
  EXPECT_EQ(eval_err("12+"), "syntax error at character 4: expected a number");
  EXPECT_EQ(eval_err("2 3"), "syntax error at character 3: unexpected character");
  EXPECT_EQ(eval_err("(1+2"), "syntax error at character 5: expected )");
  EXPECT_NE(eval_err("sqrt(2)").find("syntax error at character 1"), std::string::npos);
  EXPECT_NE(eval_err("2^0.5").find("exponents are integers"), std::string::npos);
}

TEST(Calculator, BoundedSoThatNoCallCanTakeTheActorDown) {
  EXPECT_NE(eval_err("2^5000").find("at most 4096"), std::string::npos);
  EXPECT_NE(eval_err("9^4096").find("1000 digits"), std::string::npos);
  EXPECT_NE(eval_err("2^3000*2^3000").find("1000 digits"), std::string::npos);
  EXPECT_NE(eval_err("9^(9^9)").find("at most 4096"), std::string::npos);
  EXPECT_NE(eval_err(std::string(33, '(') + "1" + std::string(33, ')')).find("nest too deep"),
            std::string::npos);
  EXPECT_EQ(eval_ok(std::string(32, '(') + "1" + std::string(32, ')')), "1");
  EXPECT_NE(eval_err("1+" + std::string(300, '1')).find("longer than 256"), std::string::npos);
  EXPECT_EQ(eval_ok("2^3000").size(), 904u);  // 3000 * log10(2) = 903.1: 904 digits, within the bound
}

TEST(Calculator, AsATool) {
  Calculator c;
  EXPECT_EQ(c.name(), "calculator");
  EXPECT_EQ(c.schema()["function"]["name"], "calculator");
  EXPECT_EQ(c.schema()["function"]["parameters"]["required"][0], "expression");
  const ToolDeadline never = ToolDeadline::max();
  ToolOutput o = c.run({{"expression", "40+2"}}, never);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.text, "42");
  EXPECT_TRUE(o.error_kind.empty());
  for (const nlohmann::ordered_json& bad :
       {nlohmann::ordered_json::object(), nlohmann::ordered_json{{"expression", 5}},
        nlohmann::ordered_json{{"expr", "1+1"}}}) {
    o = c.run(bad, never);
    EXPECT_FALSE(o.ok) << bad;
    EXPECT_EQ(o.error_kind, kToolErrorBadArguments) << bad;
  }
}

}  // namespace
}  // namespace ascent
