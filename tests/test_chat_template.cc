// Chat templates against transformers' apply_chat_template (jinja2) on the real Qwen3 and Llama-3.1
// tokenizer_config.json templates (tests/reference/make_chat_reference.py -> tests/fixtures/chat/).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/jinja_render.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

// Qwen3 and Llama-3.1 live with their tokenizers; the other templates in tests/fixtures/chat_templates.
std::string config_dir(const std::string& family) {
  const bool with_tokenizer = family == "qwen3" || family == "llama3_1";
  return ASCENT_SOURCE_DIR "/tests/fixtures/" +
         std::string(with_tokenizer ? "tokenizer/" : "chat_templates/") + family;
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
    absl::StatusOr<std::string> text = t->render(msgs, opt);
    EXPECT_TRUE(text.ok()) << text.status();
    EXPECT_EQ(text.value_or(""), r["text"].get<std::string>()) << family << ": " << r["messages"].dump();
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

// Granite's template prints today's date: reference.json was rendered on 2026-11-30, and
// make_chat_templates_reference.py now renders at that fixed time. Set before main, so that the jinja2
// helper every test of this binary shares starts with it.
[[maybe_unused]] const int kFixedDate = setenv("SOURCE_DATE_EPOCH", "1796040000", 1);  // 2026-11-30 12:00 UTC

// 200 message lists (system or not, multi-turn, reasoning, tool calls and results, tool definitions,
// thinking on/off) and 10 edge cases (None values, reasoning under other names) on 11 real templates of 9 families, against apply_chat_template
// (tests/reference/make_chat_templates_reference.py); a case a template refuses must be refused with its message.
TEST(ChatTemplate, RealTemplatesRenderAsTransformersDoes) {
  const nlohmann::ordered_json ref = nlohmann::ordered_json::parse(
      std::ifstream(ASCENT_SOURCE_DIR "/tests/fixtures/chat_templates/reference.json"));
  ASSERT_EQ(ref["cases"].size(), 210u);
  ASSERT_GE(ref["renderings"].size(), 8u);
  int rendered = 0, refused = 0;
  for (const auto& [family, rows] : ref["renderings"].items()) {
    absl::StatusOr<ChatTemplate> t = ChatTemplate::load(config_dir(family));
    ASSERT_TRUE(t.ok()) << t.status();
    int mismatches = 0;
    for (size_t i = 0; i < rows.size() && mismatches < 3; ++i) {
      const nlohmann::ordered_json& c = ref["cases"][i];
      ChatOptions opt;
      opt.add_generation_prompt = c["add_generation_prompt"];
      if (c.contains("enable_thinking")) opt.enable_thinking = c["enable_thinking"].get<bool>();
      if (c.contains("tools")) opt.tools = c["tools"];
      opt.extra = ref["extra"];
      absl::StatusOr<std::string> text = t->render_json(c["messages"], opt);
      if (rows[i].contains("error")) {
        ++refused;
        const bool ok = !text.ok() && text.status().message().find(rows[i]["error"].get<std::string>()) !=
                                          std::string::npos;
        EXPECT_TRUE(ok) << family << " case " << i << ": transformers refused with '" << rows[i]["error"]
                        << "', ascent: " << (text.ok() ? "rendered" : text.status().ToString());
        mismatches += !ok;
        continue;
      }
      ++rendered;
      EXPECT_TRUE(text.ok()) << family << " case " << i << ": " << text.status();
      EXPECT_EQ(text.value_or(""), rows[i]["text"].get<std::string>()) << family << " case " << i;
      mismatches += text.value_or("") != rows[i]["text"].get<std::string>();
    }
  }
  EXPECT_GT(rendered, 1800);
  EXPECT_GT(refused, 100);  // Gemma-2 has no system role; Mistral wants alternating roles
}

// Any template renders (here one of our own, with a special token); a broken one or raise_exception is an
// error naming the file.
TEST(ChatTemplate, AnyTemplateRendersAndErrorsNameTheFile) {
  const ChatTemplate t = ChatTemplate::from_text(
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content | trim }}\n{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}",
      {{"bos_token", "<s>"}}, "model/tokenizer_config.json");
  absl::StatusOr<std::string> text = t.render({{"user", "  hi\u3000", std::nullopt}}, ChatOptions{});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "<s>[user] hi\n[assistant]");
  const ChatTemplate broken =
      ChatTemplate::from_text("{% for m in messages %}", {}, "model/tokenizer_config.json");
  text = broken.render({{"user", "hi", std::nullopt}}, ChatOptions{});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("model/tokenizer_config.json: chat_template: TemplateSyntaxError"),
            std::string::npos)
      << text.status();
  const ChatTemplate raising =
      ChatTemplate::from_text("{{ raise_exception('Conversation roles must alternate') }}", {}, "t.json");
  text = raising.render({{"user", "hi", std::nullopt}}, ChatOptions{});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("Conversation roles must alternate"), std::string::npos)
      << text.status();
  EXPECT_EQ(render_prompt_template("Q: {prompt}\nA: {{x}}", "1+1?"), "Q: 1+1?\nA: {x}");
}

// A template is code from a downloaded file. One that prints 100 MB, allocates past the helper's 4 GiB,
// prints a lone surrogate or loops past the deadline is an error of that rendering; the next rendering
// still gets its own reply (found by writing fuzz/fuzz_chat_template.cc).
TEST(ChatTemplate, HostileTemplatesAreErrorsAndTheNextRenderingIsExact) {
  const ChatTemplate fine = ChatTemplate::from_text("{{ messages[0].content }}!", {}, "t.json");
  const std::vector<ChatMessage> hi = {{"user", "hi", std::nullopt}};
  // Only the endless loop waits for the deadline; the others are refused by the helper itself and keep the
  // default 30 s, so a loaded CI machine (ctest -j2 beside other tests) cannot turn them into timeouts.
  struct Case {
    const char* tmpl;
    const char* why;
    double deadline_s;
  };
  const Case cases[] = {
      {"{{ 'x' * 100000000 }}", "over the limit", 30},
      {"{{ ('x' * 5000000000) | length }}", "MemoryError", 30},
      {"{{ '\\udc80' }}", "surrogates not allowed", 30},
      {"{{ raise_exception('bad \\udc80') }}", "TemplateError: bad \\udc80", 30},
      {"{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}",
       "no reply within 3 s", 3},
  };
  struct Restore {
    ~Restore() { set_jinja_render_deadline(30); }
  } restore;
  for (const auto& [tmpl, why, deadline_s] : cases) {
    set_jinja_render_deadline(deadline_s);
    absl::StatusOr<std::string> text = ChatTemplate::from_text(tmpl, {}, "t.json").render(hi, ChatOptions{});
    set_jinja_render_deadline(30);  // the next rendering may start a fresh helper
    ASSERT_FALSE(text.ok()) << tmpl;
    EXPECT_NE(text.status().message().find(why), std::string::npos) << tmpl << ": " << text.status();
    EXPECT_EQ(text.status().message().rfind("t.json: chat_template: ", 0), 0u) << text.status();
    text = fine.render(hi, ChatOptions{});
    ASSERT_TRUE(text.ok()) << text.status();
    EXPECT_EQ(*text, "hi!");
  }
}

}  // namespace

}  // namespace ascent
