#include "model/tokenizer/chat_template.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"
#include "core/status.h"
#include "model/tokenizer/jinja_render.h"

namespace ascent {

namespace {

// A special token as tokenizer_config.json writes it: a string, or an added-token object {"content": ...}.
std::optional<std::string> token_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

ChatTemplate ChatTemplate::from_text(std::string jinja, nlohmann::ordered_json special_tokens,
                                     std::string source) {
  ChatTemplate t;
  t.jinja_ = std::move(jinja);
  t.source_ = std::move(source);
  if (special_tokens.is_object()) t.tokens_ = std::move(special_tokens);
  return t;
}

absl::StatusOr<ChatTemplate> ChatTemplate::load(const std::string& path) {
  const std::string file = json_file_in(path, "tokenizer_config.json");
  ASCENT_ASSIGN_OR_RETURN(nlohmann::json j, json_file_read_object(file));
  const nlohmann::json& ct = j.contains("chat_template") ? j["chat_template"] : nlohmann::json();
  std::string jinja;
  if (ct.is_string()) {
    jinja = ct.get<std::string>();
  } else if (ct.is_array()) {  // named templates: the default one
    for (const auto& t : ct) {
      if (t.is_object() && t.value("name", "") == "default" && t.contains("template") &&
          t["template"].is_string())
        jinja = t["template"].get<std::string>();
    }
  }
  // transformers 4.43+ may save the template beside the config as chat_template.jinja; that file wins.
  const std::filesystem::path beside = std::filesystem::path(file).parent_path() / "chat_template.jinja";
  std::string source = file;
  if (std::ifstream f(beside, std::ios::binary); f) {
    jinja.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    source = beside.string();
  }
  if (jinja.empty()) {
    return absl::InvalidArgumentError(file +
                                      ": chat_template: missing (a string, or a list holding \"default\", or "
                                      "chat_template.jinja beside it)");
  }
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  for (const char* k :
       {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
    if (!j.contains(k)) continue;
    if (std::optional<std::string> v = token_text(j[k])) tokens[k] = *v;
  }
  return from_text(std::move(jinja), std::move(tokens), source);
}

absl::StatusOr<std::string> ChatTemplate::render_json(const nlohmann::ordered_json& messages,
                                                      const ChatOptions& opt) const {
  nlohmann::ordered_json ctx = tokens_;
  if (opt.extra.is_object()) ctx.update(opt.extra);
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = opt.add_generation_prompt;
  if (!opt.tools.is_null()) ctx["tools"] = opt.tools;
  if (opt.enable_thinking.has_value()) ctx["enable_thinking"] = *opt.enable_thinking;
  absl::StatusOr<std::string> text = jinja_render(jinja_, ctx);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(source_, ": chat_template: ", text.status().message()));
  }
  return text;
}

absl::StatusOr<std::string> ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                                 const ChatOptions& opt) const {
  nlohmann::ordered_json m = nlohmann::ordered_json::array();
  for (const ChatMessage& c : messages) {
    nlohmann::ordered_json x = {{"role", c.role}, {"content", c.content}};
    if (c.reasoning_content) x["reasoning_content"] = *c.reasoning_content;
    m.push_back(std::move(x));
  }
  return render_json(m, opt);
}

std::string render_prompt_template(const std::string& tmpl, const std::string& prompt) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl.compare(i, 8, "{prompt}") == 0) {
      out += prompt;
      i += 7;
    } else if (tmpl.compare(i, 2, "{{") == 0 || tmpl.compare(i, 2, "}}") == 0) {
      out += tmpl[i];
      ++i;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

}  // namespace ascent
