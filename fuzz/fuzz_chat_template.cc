// Chat templates (model/tokenizer/chat_template.h) of any text: the input is a Jinja template, optionally
// followed by a NUL byte and a JSON list of messages. The template is rendered as a downloaded model's
// tokenizer_config.json would have it rendered (with and without a generation prompt, thinking and tools).
// Whatever the template does (loops for ever, allocates gigabytes, prints megabytes, a lone surrogate, a
// syntax error), each rendering must end in text that is valid UTF-8 or in an error that names the file, and
// the helper process must then still answer a known template exactly (no reply left in the pipe, no stale
// state): abort() otherwise, which libFuzzer reports as a crash.
#include <cstdlib>
#include <string>

#include "core/json_file.h"
#include "core/utf8.h"
#include "fuzz/fuzz_input.h"
#include "model/tokenizer/chat_template.h"
#include "model/tokenizer/jinja_render.h"

namespace {

using nlohmann::ordered_json;

ordered_json messages_of(const std::string& text) {
  ordered_json m;
  if (ascent::json_depth_ok(text)) m = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (m.is_array()) return m;
  return ordered_json::array({{{"role", "system"}, {"content", "Be brief."}},
                              {{"role", "user"}, {"content", "What is 2+2?"}},
                              {{"role", "assistant"}, {"content", "4"}, {"reasoning_content", "2+2=4"}},
                              {{"role", "user"}, {"content", "And 3+3? \xC3\xA9\xF0\x9F\x98\x80"}}});
}

void check_helper_in_step() {
  const ascent::ChatTemplate known = ascent::ChatTemplate::from_text(
      "{{ bos_token }}{% for m in messages %}{{ m['role'] }}:{{ m['content'] }};{% endfor %}"
      "{{ add_generation_prompt }}",
      {{"bos_token", "<s>"}}, "known");
  ascent::ChatOptions opt;
  opt.add_generation_prompt = false;
  absl::StatusOr<std::string> t =
      known.render_json(ordered_json::array({{{"role", "user"}, {"content", "hi"}}}), opt);
  if (!t.ok() || *t != "<s>user:hi;False") abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    ascent::set_jinja_render_deadline(2);
    return true;
  }();
  (void)once;
  const std::string input = ascent::fuzz::as_string(data, size);
  const size_t nul = input.find('\0');
  const ordered_json messages = messages_of(nul == std::string::npos ? "" : input.substr(nul + 1));
  const ascent::ChatTemplate t = ascent::ChatTemplate::from_text(
      input.substr(0, nul), {{"bos_token", "<s>"}, {"eos_token", "</s>"}}, "fuzz/tokenizer_config.json");
  ascent::ChatOptions opt;
  opt.add_generation_prompt = size % 2 == 0;
  if (size % 3 != 0) opt.enable_thinking = size % 3 == 1;
  if (size % 5 == 0) {
    opt.tools = ordered_json::array(
        {{{"type", "function"},
          {"function",
           {{"name", "calculator"},
            {"parameters", {{"type", "object"}, {"properties", {{"x", {{"type", "string"}}}}}}}}}}});
  }
  absl::StatusOr<std::string> text = t.render_json(messages, opt);
  if (text.ok() && ascent::utf8_lossy(*text) != *text) abort();
  if (!text.ok()) {
    // Every error names the file; an internal one means a reply we could not read (our framing or parser).
    if (text.status().message().rfind("fuzz/tokenizer_config.json: chat_template: ", 0) != 0) abort();
    if (text.status().code() == absl::StatusCode::kInternal) abort();
  }
  check_helper_in_step();
  return 0;
}
