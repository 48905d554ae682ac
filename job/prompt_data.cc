#include "job/prompt_data.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/jsonl_input.h"
#include "core/rng.h"
#include "nlohmann/json.hpp"

namespace ascent {

absl::StatusOr<std::vector<PromptRecord>> prompt_data_read_jsonl(const std::string& path) {
  std::vector<PromptRecord> out;
  std::set<std::string> ids;
  absl::Status st =
      jsonl_for_each(path, [&](const nlohmann::json& j, const std::string& where) -> absl::Status {
        if (!j.contains("prompt") || !j["prompt"].is_string()) {
          return absl::InvalidArgumentError(where + "\"prompt\" (a string) is required");
        }
        PromptRecord r;
        r.text = j["prompt"].get<std::string>();
        r.source = where.substr(0, where.size() - 2);
        if (r.text.empty()) return absl::InvalidArgumentError(where + "\"prompt\" is empty");
        if (j.contains("answer")) {
          const auto& a = j["answer"];
          if (!a.is_string() && !a.is_number()) {
            return absl::InvalidArgumentError(where + "\"answer\" must be a string or a number");
          }
          r.answer = a.is_string() ? a.get<std::string>() : a.dump();
        }
        if (j.contains("id")) {
          if (!j["id"].is_string() && !j["id"].is_number()) {
            return absl::InvalidArgumentError(where + "\"id\" must be a string or a number");
          }
          r.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
        } else {
          r.id = where.substr(0, where.size() - 2);  // file:line
        }
        if (!ids.insert(r.id).second)
          return absl::InvalidArgumentError(where + "duplicate id \"" + r.id + "\"");
        if (j.contains("metadata")) {
          if (!j["metadata"].is_object()) {
            return absl::InvalidArgumentError(where + "\"metadata\" must be a JSON object");
          }
          r.metadata_json = j["metadata"].dump();
        }
        if (const size_t bytes = r.text.size() + r.answer.size() + r.metadata_json.size();
            bytes > kPromptRecordMaxBytes) {
          return absl::InvalidArgumentError(absl::StrCat(where, "prompt, answer and metadata are ", bytes,
                                                         " bytes, above the ", kPromptRecordMaxBytes,
                                                         " a prompt may have (it travels in one message)"));
        }
        out.push_back(std::move(r));
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no prompts"));
  return out;
}

std::vector<PromptRecord> prompt_data_arithmetic(int64_t n, int64_t min_operand, int64_t max_operand,
                                                 uint64_t seed, bool additions_only) {
  Rng rng(seed * 0x2545f4914f6cdd1dULL + 17);
  std::vector<PromptRecord> out;
  const auto span = static_cast<uint64_t>(max_operand - min_operand + 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = min_operand + static_cast<int64_t>(rng.next_u64() % span);
    const int64_t b = min_operand + static_cast<int64_t>(rng.next_u64() % span);
    const bool plus = additions_only || rng.next_u64() % 2 == 0;
    PromptRecord r;
    r.id = absl::StrCat("arith-", i);
    r.text = absl::StrCat(a, plus ? "+" : "-", b, "=");
    r.answer = absl::StrCat(plus ? a + b : a - b);
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<PromptSet> prompt_data_load(const DataConfig& d, uint64_t seed) {
  PromptSet s;
  if (d.builtin == "arithmetic" || d.builtin == "addition") {
    s.train = prompt_data_arithmetic(d.builtin_size, d.builtin_min_operand, d.builtin_max_operand, seed,
                                     d.builtin == "addition");
  } else {
    auto t = prompt_data_read_jsonl(d.train);
    if (!t.ok()) return t.status();
    s.train = std::move(*t);
  }
  if (!d.validation.empty()) {
    auto v = prompt_data_read_jsonl(d.validation);
    if (!v.ok()) return v.status();
    s.validation = std::move(*v);
  } else if (d.validation_split > 0) {
    // A seeded shuffle decides which prompts are held out; the rest keep their file order.
    std::vector<size_t> idx(s.train.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    Rng rng(seed ^ 0x5eed0f5a117ULL);
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.next_u64() % i]);
    const size_t held = static_cast<size_t>(d.validation_split * static_cast<double>(idx.size()) + 0.5);
    std::vector<bool> out(idx.size(), false);
    for (size_t i = 0; i < held; ++i) out[idx[i]] = true;
    std::vector<PromptRecord> train;
    for (size_t i = 0; i < s.train.size(); ++i) (out[i] ? s.validation : train).push_back(s.train[i]);
    s.train = std::move(train);
  }
  if (d.validation_size > 0 && static_cast<int64_t>(s.validation.size()) > d.validation_size) {
    s.validation.resize(static_cast<size_t>(d.validation_size));
  }
  if (s.train.empty())
    return absl::InvalidArgumentError("no training prompts left after the validation split");
  return s;
}

}  // namespace ascent
