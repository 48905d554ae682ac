// Tool calls in the models' own formats (generation/tool_calls.h): well-formed, malformed, nested-JSON and
// truncated calls in the Hermes/Qwen and Llama-3.1 JSON formats, and the format read from real chat templates
// (tests/fixtures/chat_templates, their sources named in its README).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "generation/tool_calls.h"

namespace ascent {
namespace {

using json = nlohmann::ordered_json;

ToolCallParse hermes(const std::string& t) {
  return tool_calls_parse(ToolCallFormat::kHermes, t);
}
ToolCallParse llama(const std::string& t) {
  return tool_calls_parse(ToolCallFormat::kLlama3Json, t);
}

TEST(ToolCalls, HermesWellFormed) {
  const ToolCallParse p = hermes(
      "Let me compute it.\n<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": "
      "\"12*7\"}}\n"
      "</tool_call>");
  ASSERT_TRUE(p.error_kind.empty()) << p.error;
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "calculator");
  EXPECT_EQ(p.calls[0].arguments, json::parse(R"({"expression": "12*7"})"));
  EXPECT_TRUE(p.attempted());
}

TEST(ToolCalls, HermesSeveralCallsInOrderAndStringArguments) {
  const ToolCallParse p = hermes(
      "<tool_call>{\"name\": \"a\", \"arguments\": {\"x\": 1}}</tool_call>\n"
      "<tool_call>{\"name\": \"b\", \"arguments\": \"{\\\"y\\\": [1, {\\\"z\\\": null}]}\"}</tool_call>"
      "<tool_call>{\"name\": \"c\"}</tool_call>");
  ASSERT_TRUE(p.error_kind.empty()) << p.error;
  ASSERT_EQ(p.calls.size(), 3u);
  EXPECT_EQ(p.calls[0].name, "a");
  EXPECT_EQ(p.calls[1].name, "b");
  EXPECT_EQ(p.calls[1].arguments, json::parse(R"({"y": [1, {"z": null}]})"));
  EXPECT_EQ(p.calls[2].name, "c");
  EXPECT_TRUE(p.calls[2].arguments.is_object() && p.calls[2].arguments.empty());
}

TEST(ToolCalls, HermesNestedJsonAndTheCloseTagInsideAString) {
  const std::string args =
      R"J({"code": "print('</tool_call>')", "opts": {"deep": {"list": [[1, 2], {"k": "}{"}]}}})J";
  const ToolCallParse p =
      hermes("<tool_call>{\"name\": \"python\", \"arguments\": " + args + "}</tool_call>");
  ASSERT_TRUE(p.error_kind.empty()) << p.error;
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].arguments, json::parse(args));
}

TEST(ToolCalls, HermesAnswerWithoutCallsIsNotAnAttempt) {
  const ToolCallParse p = hermes("The answer is 84. I used no tool_call here.");
  EXPECT_TRUE(p.calls.empty());
  EXPECT_TRUE(p.error_kind.empty());
  EXPECT_FALSE(p.attempted());
}

TEST(ToolCalls, HermesMalformed) {
  for (const char* body : {"not json", "{\"arguments\": {}}", "{\"name\": 3}", "{\"name\": \"\"}",
                           "{\"name\": \"a\", \"arguments\": [1]}",
                           "{\"name\": \"a\", \"arguments\": \"[1]\"}", "[{\"name\": \"a\"}]", ""}) {
    const ToolCallParse p = hermes(std::string("<tool_call>") + body + "</tool_call>");
    EXPECT_EQ(p.error_kind, kToolErrorMalformed) << body;
    EXPECT_TRUE(p.calls.empty()) << body;
    EXPECT_TRUE(p.attempted()) << body;
    EXPECT_NE(p.error.find("tool call 1"), std::string::npos) << p.error;
  }
  // A good call after a bad one does not hide the bad one.
  const ToolCallParse p = hermes("<tool_call>{bad}</tool_call><tool_call>{\"name\": \"a\"}</tool_call>");
  EXPECT_EQ(p.error_kind, kToolErrorMalformed);
}

TEST(ToolCalls, HermesTruncated) {
  const ToolCallParse p = hermes("<tool_call>{\"name\": \"a\"}</tool_call><tool_call>{\"name\": \"calc");
  EXPECT_EQ(p.error_kind, kToolErrorTruncated);
  EXPECT_NE(p.error.find("tool call 2"), std::string::npos) << p.error;
  EXPECT_TRUE(p.calls.empty());  // a turn with a broken call runs none of its calls
}

TEST(ToolCalls, NestingBeyondTheBoundIsMalformedNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const ToolCallParse p =
      hermes("<tool_call>{\"name\": \"a\", \"arguments\": {\"x\": " + deep + "}}</tool_call>");
  EXPECT_EQ(p.error_kind, kToolErrorMalformed);
  EXPECT_NE(p.error.find("deeper"), std::string::npos) << p.error;
  const ToolCallParse q = llama("{\"name\": \"a\", \"parameters\": {\"x\": " + deep + "}}");
  EXPECT_EQ(q.error_kind, kToolErrorMalformed);
}

TEST(ToolCalls, Llama3Json) {
  ToolCallParse p = llama("{\"name\": \"calculator\", \"parameters\": {\"expression\": \"3+4\"}}");
  ASSERT_TRUE(p.error_kind.empty()) << p.error;
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "calculator");
  EXPECT_EQ(p.calls[0].arguments, json::parse(R"({"expression": "3+4"})"));
  p = llama("<|python_tag|>  {\"name\": \"f\", \"parameters\": {\"a\": {\"b\": [true]}}}\n");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].arguments, json::parse(R"({"a": {"b": [true]}})"));
  // An answer, and the forms a call goes wrong in.
  EXPECT_FALSE(llama("The sum is 7.").attempted());
  EXPECT_FALSE(llama("").attempted());
  EXPECT_EQ(llama("{\"name\": \"calculator\", \"parameters\": {\"expression\": \"3+").error_kind,
            kToolErrorTruncated);
  EXPECT_EQ(llama("{\"nam\": \"calculator\"}").error_kind, kToolErrorMalformed);
  EXPECT_EQ(llama("{\"name\": \"f\", \"parameters\": 5}").error_kind, kToolErrorMalformed);
  EXPECT_EQ(llama("{\"name\": \"f\"} and then text").error_kind, kToolErrorMalformed);
}

TEST(ToolCalls, FormatNames) {
  EXPECT_EQ(*tool_call_format_parse("hermes"), ToolCallFormat::kHermes);
  EXPECT_EQ(*tool_call_format_parse("llama3_json"), ToolCallFormat::kLlama3Json);
  const absl::StatusOr<ToolCallFormat> bad = tool_call_format_parse("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"xml\""), std::string::npos);
  EXPECT_STREQ(tool_call_format_name(ToolCallFormat::kLlama3Json), "llama3_json");
}

std::string template_of(const std::string& family) {
  std::ifstream f(std::string(ASCENT_SOURCE_DIR) + "/tests/fixtures/chat_templates/" + family +
                  "/tokenizer_config.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(ss.str());
  const nlohmann::json& t = j.at("chat_template");
  if (t.is_string()) return t.get<std::string>();
  for (const auto& e : t) {
    if (e.at("name") == "default") return e.at("template").get<std::string>();
  }
  return "";
}

TEST(ToolCalls, FormatDetectedFromRealChatTemplates) {
  EXPECT_EQ(*tool_call_format_detect(template_of("qwen2_5")), ToolCallFormat::kHermes);
  EXPECT_EQ(*tool_call_format_detect(template_of("llama3_1_official")), ToolCallFormat::kLlama3Json);
  EXPECT_EQ(*tool_call_format_detect(template_of("llama3_2")), ToolCallFormat::kLlama3Json);
  EXPECT_EQ(tool_call_format_detect(template_of("smollm2")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ascent
