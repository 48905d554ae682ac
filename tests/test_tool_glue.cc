// The tool-result glue (generation/tool_glue.h) checked token by token against the rendered conversation, on
// real templates and tokenizers (Qwen3, Qwen2.5 and Llama-3.1's official template; tests/fixtures, sources in
// their READMEs): the prompt, the model's call turn, its end-of-turn token, the glue and the answer turn,
// each encoded on its own, are the tokens of the whole conversation rendered by the template (jinja2) and
// encoded at once; the tokens the loss mask leaves out are exactly the tool block, holding the tool's output.
#include <gtest/gtest.h>

#include "generation/tool_calls.h"
#include "generation/tool_glue.h"
#include "model/tokenizer/hf_tokenizer.h"

namespace ascent {
namespace {

using json = nlohmann::ordered_json;

struct Family {
  std::string name, template_dir, tokenizer_dir, eot;
};

std::string fixture(const std::string& rel) {
  return std::string(ASCENT_SOURCE_DIR) + "/tests/fixtures/" + rel;
}

json calculator_tools() {
  return json::parse(R"([{"type": "function", "function": {"name": "calculator",
      "description": "Evaluates an arithmetic expression exactly.",
      "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                     "required": ["expression"]}}}])");
}

std::vector<int32_t> enc(HfTokenizer& t, const std::string& s) {
  return *t.encode(s);
}

class ToolGlue : public ::testing::TestWithParam<Family> {};

TEST_P(ToolGlue, ModelTurnsPlusGlueAreTheRenderedConversationTokenByToken) {
  const Family& f = GetParam();
  absl::StatusOr<ChatTemplate> tmpl = ChatTemplate::load(fixture(f.template_dir));
  ASSERT_TRUE(tmpl.ok()) << tmpl.status();
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok =
      HfTokenizer::load(fixture(f.tokenizer_dir + "/tokenizer.json"));
  ASSERT_TRUE(tok.ok()) << tok.status();
  const int32_t eot_id = (*tok)->token_id(f.eot);
  ASSERT_GE(eot_id, 0);
  ChatOptions opt;
  opt.tools = calculator_tools();

  const ToolCall call{"calculator", json::parse(R"({"expression": "12*7"})")};
  const json user = {{"role", "user"}, {"content", "What is 12*7?"}};
  const json asked = {
      {"role", "assistant"},
      {"content", ""},
      {"tool_calls", json::array({{{"type", "function"},
                                   {"function", {{"name", call.name}, {"arguments", call.arguments}}}}})}};
  const json full_msgs = json::array({user,
                                      asked,
                                      {{"role", "tool"}, {"name", "calculator"}, {"content", "84"}},
                                      {{"role", "assistant"}, {"content", "12*7 = 84."}}});
  opt.add_generation_prompt = true;
  const std::string prompt = *tmpl->render_json(json::array({user}), opt);
  opt.add_generation_prompt = false;
  const std::string full = *tmpl->render_json(full_msgs, opt);
  ASSERT_EQ(full.compare(0, prompt.size(), prompt), 0) << full;

  // The model's first turn is what the template writes for the call, up to its end-of-turn token; it parses
  // back to the call in the template's own format.
  const std::string rest = full.substr(prompt.size());
  const size_t e1 = rest.find(f.eot);
  ASSERT_NE(e1, std::string::npos);
  const std::string call_text = rest.substr(0, e1);
  const ToolCallParse parsed = tool_calls_parse(*tool_call_format_detect(tmpl->jinja()), call_text);
  ASSERT_EQ(parsed.calls.size(), 1u) << call_text << parsed.error;
  EXPECT_EQ(parsed.calls[0].name, call.name);
  EXPECT_EQ(parsed.calls[0].arguments, call.arguments);
  const absl::StatusOr<std::string> glue =
      tool_glue_text(*tmpl, {f.eot}, {call}, {{"calculator", "84"}}, opt);
  ASSERT_TRUE(glue.ok()) << glue.status();
  const std::string after = rest.substr(e1 + f.eot.size());
  ASSERT_EQ(after.compare(0, glue->size(), *glue), 0) << "glue:\n" << *glue << "\nconversation:\n" << after;
  EXPECT_NE(glue->find("84"), std::string::npos);
  const std::string answer_rest = after.substr(glue->size());
  const std::string answer = answer_rest.substr(0, answer_rest.find(f.eot));
  EXPECT_NE(answer.find("12*7 = 84."), std::string::npos) << answer;

  // Token by token: each piece encoded on its own, as the actor builds the sequence, against the whole.
  std::vector<int32_t> seq, mask;
  auto add = [&](const std::vector<int32_t>& ids, int32_t m) {
    seq.insert(seq.end(), ids.begin(), ids.end());
    mask.insert(mask.end(), ids.size(), m);
  };
  add(enc(**tok, call_text), 1);
  add({eot_id}, 1);
  add(enc(**tok, *glue), 0);
  add(enc(**tok, answer), 1);
  add({eot_id}, 1);
  const std::vector<int32_t> p = enc(**tok, prompt), whole = enc(**tok, full);
  ASSERT_GE(whole.size(), p.size() + seq.size());
  EXPECT_EQ(std::vector<int32_t>(whole.begin(), whole.begin() + static_cast<int64_t>(p.size())), p);
  EXPECT_EQ(std::vector<int32_t>(whole.begin() + static_cast<int64_t>(p.size()),
                                 whole.begin() + static_cast<int64_t>(p.size() + seq.size())),
            seq);
  std::vector<int32_t> masked_out, trained;
  for (size_t i = 0; i < seq.size(); ++i) (mask[i] ? trained : masked_out).push_back(seq[i]);
  EXPECT_EQ((*tok)->decode(masked_out), *glue);
  EXPECT_EQ((*tok)->decode(trained), call_text + f.eot + answer + f.eot);
}

INSTANTIATE_TEST_SUITE_P(
    Templates, ToolGlue,
    ::testing::Values(Family{"qwen3", "tokenizer/qwen3", "tokenizer/qwen3", "<|im_end|>"},
                      Family{"qwen2_5", "chat_templates/qwen2_5", "tokenizer/qwen3", "<|im_end|>"},
                      Family{"llama3_1", "chat_templates/llama3_1_official", "tokenizer/llama3_1",
                             "<|eot_id|>"}),
    [](const ::testing::TestParamInfo<Family>& i) { return i.param.name; });

TEST(ToolGlueErrors, ATemplateWithoutEndOfTurnTextOrThatRewritesTheUserTurn) {
  const ChatTemplate plain = ChatTemplate::from_text(
      "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", json::object(), "plain");
  absl::StatusOr<std::string> g = tool_glue_text(plain, {"<|im_end|>"}, {}, {{"", "error"}}, ChatOptions{});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("plain"), std::string::npos);
  EXPECT_NE(g.status().message().find("end-of-turn"), std::string::npos);
  const ChatTemplate counting =
      ChatTemplate::from_text("{{ messages | length }}{% for m in messages %}{{ m.content }}<e>{% endfor %}",
                              json::object(), "counting");
  g = tool_glue_text(counting, {"<e>"}, {}, {{"", "error"}}, ChatOptions{});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("only grows"), std::string::npos) << g.status();
}

}  // namespace
}  // namespace ascent
