// Chat templates against transformers' apply_chat_template (jinja2) on the real Qwen3 and Llama-3.1
// tokenizer_config.json templates (tests/reference/make_chat_reference.py -> tests/fixtures/chat/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/tokenizer/chat_template.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

std::string config_dir(const std::string& family) {
  return ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/" + family;
}

// Renders every row of a reference file and compares; returns the number of rows.
int expect_renders_as_reference(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f) << path;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    const std::string family = r["family"];
    absl::StatusOr<ChatTemplate> t = ChatTemplate::load(config_dir(family));
    EXPECT_TRUE(t.ok()) << config_dir(family) << ": " << t.status();
    if (!t.ok()) return n;
    std::vector<ChatMessage> msgs;
    for (const auto& m : r["messages"]) {
      ChatMessage cm{m["role"], m["content"], std::nullopt};
      if (m.contains("reasoning_content")) cm.reasoning_content = m["reasoning_content"].get<std::string>();
      msgs.push_back(cm);
    }
    ChatOptions opt;
    opt.add_generation_prompt = r["add_generation_prompt"];
    if (r.contains("enable_thinking")) opt.enable_thinking = r["enable_thinking"].get<bool>();
    EXPECT_EQ(t->render(msgs, opt), r["text"].get<std::string>()) << family << ": " << r["messages"].dump();
    ++n;
  }
  return n;
}

TEST(ChatTemplate, RendersAsTransformersDoes) {
  EXPECT_EQ(expect_renders_as_reference(ASCENT_SOURCE_DIR "/tests/fixtures/chat/reference.jsonl"), 50);
}

// Llama-3's `| trim` is Python's str.strip(): every Unicode White_Space character and U+001C..U+001F go, zero-width
// and other look-alikes stay (tests/reference/make_whitespace_reference.py).
TEST(ChatTemplate, TrimStripsWhatPythonStrips) {
  EXPECT_EQ(expect_renders_as_reference(ASCENT_SOURCE_DIR "/tests/fixtures/chat/whitespace.jsonl"), 36);
}

TEST(ChatTemplate, UnknownTemplatesAndRawPromptTemplates) {
  absl::StatusOr<ChatTemplate> t = ChatTemplate::from_text(
      "{% for m in messages %}{{ m.content }}{% endfor %}", "", "model/tokenizer_config.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(
      t.status().message().find("model/tokenizer_config.json: chat_template: not a template ascent renders"),
      std::string::npos)
      << t.status();
  EXPECT_EQ(render_prompt_template("Q: {prompt}\nA: {{x}}", "1+1?"), "Q: 1+1?\nA: {x}");
}

}  // namespace

}  // namespace ascent
