#include "learner/curriculum.h"

#include "core/rng.h"
#include "nlohmann/json.hpp"

namespace ascent {

using nlohmann::json;

double group_pass_rate(const PromptGroup& g) {
  if (g.completions.empty()) return 0.0;
  int64_t ok = 0;
  for (const auto& c : g.completions) ok += c.correct;
  return static_cast<double>(ok) / static_cast<double>(g.completions.size());
}

void PassRateHistory::record(const std::string& prompt_id, double pass_rate, int64_t step) {
  Entry& e = entries_[prompt_id];
  e.rates.emplace_back(step, pass_rate);
  if (e.retired_at < 0 && pass_rate >= threshold_) e.retired_at = step;
}

bool PassRateHistory::retired(const std::string& prompt_id) const {
  auto it = entries_.find(prompt_id);
  return it != entries_.end() && it->second.retired_at >= 0;
}

int64_t PassRateHistory::num_retired() const {
  int64_t n = 0;
  for (const auto& [id, e] : entries_) n += e.retired_at >= 0;
  return n;
}

const std::vector<std::pair<int64_t, double>>& PassRateHistory::history(const std::string& prompt_id) const {
  static const std::vector<std::pair<int64_t, double>> kEmpty;
  auto it = entries_.find(prompt_id);
  return it == entries_.end() ? kEmpty : it->second.rates;
}

std::string PassRateHistory::serialize() const {
  json j = {
      {"format", "ascent.pass_rate_history.v1"}, {"threshold", threshold_}, {"prompts", json::object()}};
  for (const auto& [id, e] : entries_) j["prompts"][id] = {{"rates", e.rates}, {"retired_at", e.retired_at}};
  return j.dump();
}

absl::StatusOr<PassRateHistory> PassRateHistory::parse(const std::string& text, const std::string& source) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "ascent.pass_rate_history.v1" ||
      !j.contains("threshold") || !j["threshold"].is_number() || !j.contains("prompts") ||
      !j["prompts"].is_object()) {
    return absl::DataLossError(source +
                               ": not an ascent pass-rate history (format ascent.pass_rate_history.v1)");
  }
  PassRateHistory h(j["threshold"].get<double>());
  for (auto it = j["prompts"].begin(); it != j["prompts"].end(); ++it) {
    const json& e = *it;
    if (!e.is_object() || !e.contains("rates") || !e["rates"].is_array() || !e.contains("retired_at")) {
      return absl::DataLossError(source + ": prompt '" + it.key() + "': bad entry");
    }
    Entry& out = h.entries_[it.key()];
    for (const auto& r : e["rates"]) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number()) {
        return absl::DataLossError(source + ": prompt '" + it.key() + "': bad (step, rate) pair " + r.dump());
      }
      out.rates.emplace_back(r[0].get<int64_t>(), r[1].get<double>());
    }
    out.retired_at = e["retired_at"].get<int64_t>();
  }
  return h;
}

PromptSampler::PromptSampler(std::vector<std::string> prompt_ids, uint64_t seed,
                             const PassRateHistory* history)
    : ids_(std::move(prompt_ids)), seed_(seed), history_(history) {
  shuffle_epoch();
}

void PromptSampler::shuffle_epoch() {
  order_.resize(ids_.size());
  for (size_t i = 0; i < ids_.size(); ++i) order_[i] = i;
  Rng rng(seed_ * 1000003ULL + static_cast<uint64_t>(epoch_));
  for (size_t i = order_.size(); i > 1; --i)
    std::swap(order_[i - 1], order_[rng.next_u64() % i]);  // Fisher-Yates
}

absl::StatusOr<std::string> PromptSampler::next() {
  if (ids_.empty()) return absl::FailedPreconditionError("the prompt set is empty");
  // At most one full pass over a fresh epoch may be skipped before we know everything is retired.
  for (size_t tries = 0; tries <= 2 * ids_.size() + 1; ++tries) {
    if (cursor_ == order_.size()) {
      ++epoch_;
      cursor_ = 0;
      shuffle_epoch();
    }
    const std::string& id = ids_[order_[cursor_++]];
    if (history_ == nullptr || !history_->retired(id)) return id;
  }
  return absl::ResourceExhaustedError("every prompt is retired by No-Positive-Resampling");
}

std::string PromptSampler::serialize() const {
  return json({{"format", "ascent.prompt_sampler.v1"}, {"epoch", epoch_}, {"cursor", cursor_}}).dump();
}

absl::Status PromptSampler::restore(const std::string& text, const std::string& source) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || j.value("format", "") != "ascent.prompt_sampler.v1" || !j.contains("epoch") ||
      !j.contains("cursor")) {
    return absl::DataLossError(source + ": not an ascent prompt-sampler state");
  }
  epoch_ = j["epoch"].get<int64_t>();
  shuffle_epoch();
  cursor_ = j["cursor"].get<size_t>();
  if (cursor_ > order_.size()) return absl::DataLossError(source + ": cursor beyond the prompt set");
  return absl::OkStatus();
}

}  // namespace ascent
