#include "model/tokenizer/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"
#include "core/status.h"
#include "model/tokenizer/unicode_space.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

// Python's str methods, as the templates use them.
std::string lstrip(const std::string& s, const std::string& chars) {
  const size_t b = s.find_first_not_of(chars);
  return b == std::string::npos ? "" : s.substr(b);
}
std::string rstrip(const std::string& s, const std::string& chars) {
  const size_t e = s.find_last_not_of(chars);
  return e == std::string::npos ? "" : s.substr(0, e + 1);
}
std::string strip(const std::string& s, const std::string& chars) {
  return lstrip(rstrip(s, chars), chars);
}
// s.split(sep)[0] and s.split(sep)[-1]
std::string split_first(const std::string& s, const std::string& sep) {
  return s.substr(0, s.find(sep));
}
std::string split_last(const std::string& s, const std::string& sep) {
  const size_t at = s.rfind(sep);
  return at == std::string::npos ? s : s.substr(at + sep.size());
}
bool starts_with(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string render_qwen3(const std::vector<ChatMessage>& m, const ChatOptions& opt) {
  std::string out;
  const int64_t n = static_cast<int64_t>(m.size());
  if (n > 0 && m[0].role == "system")
    absl::StrAppend(&out, "<|im_start|>system\n", m[0].content, "<|im_end|>\n");
  // The last user query that is not a tool response.
  int64_t last_query = n - 1;
  for (int64_t i = n - 1; i >= 0; --i) {
    const std::string& c = m[i].content;
    if (m[i].role == "user" && !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
      last_query = i;
      break;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const ChatMessage& msg = m[i];
    if (msg.role == "user" || (msg.role == "system" && i != 0)) {
      absl::StrAppend(&out, "<|im_start|>", msg.role, "\n", msg.content, "<|im_end|>\n");
    } else if (msg.role == "assistant") {
      std::string content = msg.content, reasoning;
      if (msg.reasoning_content) {
        reasoning = *msg.reasoning_content;
      } else if (msg.content.find("</think>") != std::string::npos) {
        content = lstrip(split_last(msg.content, "</think>"), "\n");
        reasoning = lstrip(split_last(rstrip(split_first(msg.content, "</think>"), "\n"), "<think>"), "\n");
      }
      if (i > last_query && (i == n - 1 || !reasoning.empty())) {
        absl::StrAppend(&out, "<|im_start|>assistant\n<think>\n", strip(reasoning, "\n"), "\n</think>\n\n",
                        lstrip(content, "\n"));
      } else {
        absl::StrAppend(&out, "<|im_start|>assistant\n", content);
      }
      out += "<|im_end|>\n";
    } else if (msg.role == "tool") {
      if (i == 0 || m[i - 1].role != "tool") out += "<|im_start|>user";
      absl::StrAppend(&out, "\n<tool_response>\n", msg.content, "\n</tool_response>");
      if (i == n - 1 || m[i + 1].role != "tool") out += "<|im_end|>\n";
    }
  }
  if (opt.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (opt.enable_thinking.has_value() && !*opt.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

std::string render_llama3(const std::vector<ChatMessage>& m, const ChatOptions& opt, const std::string& bos) {
  std::string out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i == 0) out += bos;
    absl::StrAppend(&out, "<|start_header_id|>", m[i].role, "<|end_header_id|>\n\n",
                    python_strip(m[i].content), "<|eot_id|>");  // Jinja's trim: Python's str.strip()
  }
  if (opt.add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

}  // namespace

absl::StatusOr<ChatTemplate> ChatTemplate::from_text(const std::string& jinja, const std::string& bos,
                                                     const std::string& source) {
  ChatTemplate t;
  t.bos_ = bos;
  const bool chatml = jinja.find("<|im_start|>") != std::string::npos;
  if (chatml && jinja.find("last_query_index") != std::string::npos &&
      jinja.find("reasoning_content") != std::string::npos) {
    t.kind_ = Kind::kQwen3ChatML;
    return t;
  }
  if (jinja.find("<|start_header_id|>") != std::string::npos &&
      jinja.find("message['content'] | trim") != std::string::npos &&
      jinja.find("Cutting Knowledge") == std::string::npos && jinja.find("tools") == std::string::npos) {
    t.kind_ = Kind::kLlama3Headers;
    return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      source,
      ": chat_template: not a template ascent renders (Qwen3 ChatML, Llama-3 headers); give the recipe a "
      "raw prompt template instead"));
}

absl::StatusOr<ChatTemplate> ChatTemplate::load(const std::string& path) {
  const std::string file = json_file_in(path, "tokenizer_config.json");
  ASCENT_ASSIGN_OR_RETURN(nlohmann::json j, json_file_read_object(file));
  if (!j.contains("chat_template") || !j["chat_template"].is_string()) {
    return absl::InvalidArgumentError(file + ": chat_template: missing (or not a single template string)");
  }
  std::string bos;
  if (j.contains("bos_token") && j["bos_token"].is_string()) bos = j["bos_token"].get<std::string>();
  return from_text(j["chat_template"].get<std::string>(), bos, file);
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, const ChatOptions& opt) const {
  return kind_ == Kind::kQwen3ChatML ? render_qwen3(messages, opt) : render_llama3(messages, opt, bos_);
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
