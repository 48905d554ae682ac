#include "learner/prompt_leases.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/rng.h"

namespace ascent {

PromptLeases::PromptLeases(int64_t prompts_per_step, int64_t max_lag, uint64_t seed, NextPrompt next)
    : per_step_(prompts_per_step), max_lag_(max_lag), seed_(seed), next_(std::move(next)) {}

std::vector<Lease> PromptLeases::issue(const std::string& holder, int64_t max, int64_t steps_done) {
  std::vector<Lease> out;
  const int64_t last_step = steps_done + max_lag_;
  while (static_cast<int64_t>(out.size()) < max && !again_.empty()) {
    Entry& e = live_.at(again_.front());
    if (e.lease.step > last_step) break;
    again_.pop_front();
    hand_out(e, holder);
    out.push_back(e.lease);
  }
  auto make = [&](int64_t step) -> bool {
    absl::StatusOr<PromptRecord> p = next_();
    if (!p.ok()) {
      exhausted_ = true;
      return false;
    }
    Entry e;
    e.lease.lease = next_lease_++;
    e.lease.step = step;
    e.lease.seed = Rng(seed_ ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(e.lease.lease + 1))).next_u64();
    e.lease.prompt = std::move(*p);
    hand_out(e, holder);
    out.push_back(e.lease);
    live_.emplace(e.lease.lease, std::move(e));
    return true;
  };
  while (static_cast<int64_t>(out.size()) < max && !refills_.empty() && refills_.front() <= last_step) {
    if (!make(refills_.front())) break;
    refills_.pop_front();
  }
  while (static_cast<int64_t>(out.size()) < max && !exhausted_ && fill_step_ <= last_step) {
    if (!make(fill_step_)) break;
    if (++fill_count_ == per_step_) fill_step_++, fill_count_ = 0;
  }
  return out;
}

void PromptLeases::hand_out(Entry& e, const std::string& holder) {
  e.holder = holder;
  e.since = std::chrono::steady_clock::now();
  if (std::find(e.holders.begin(), e.holders.end(), holder) == e.holders.end()) e.holders.push_back(holder);
}

void PromptLeases::queue_again(int64_t lease) {
  auto at = std::lower_bound(again_.begin(), again_.end(), lease);
  if (at == again_.end() || *at != lease) again_.insert(at, lease);
}

bool PromptLeases::refuse(int64_t lease) {
  auto it = live_.find(lease);
  if (it == live_.end() || !it->second.returned) return false;
  Entry& e = it->second;
  if (++e.refusals >= kMaxRefusals) return false;
  e.returned = false;
  e.holder.clear();
  queue_again(lease);
  return true;
}

int64_t PromptLeases::expire(double timeout_s) {
  const auto now = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto& [id, e] : live_) {
    if (e.returned || e.holder.empty() || std::chrono::duration<double>(now - e.since).count() <= timeout_s)
      continue;
    e.holder.clear();  // its holders may still return it: they stay in e.holders
    queue_again(id);
    ++n;
  }
  expired_ += n;
  return n;
}

LeaseReturn PromptLeases::complete(int64_t lease, const std::string& from, int64_t* step) {
  auto it = live_.find(lease);
  if (it == live_.end()) return lease < next_lease_ ? LeaseReturn::kDuplicate : LeaseReturn::kUnknown;
  if (it->second.returned) return LeaseReturn::kDuplicate;
  const std::vector<std::string>& h = it->second.holders;
  if (std::find(h.begin(), h.end(), from) == h.end()) return LeaseReturn::kNotHolder;
  it->second.returned = true;
  if (step != nullptr) *step = it->second.lease.step;
  // A lease handed out again may come back from its first holder: it no longer waits in again_.
  for (auto a = again_.begin(); a != again_.end(); ++a) {
    if (*a == lease) {
      again_.erase(a);
      break;
    }
  }
  return LeaseReturn::kFirst;
}

int64_t PromptLeases::release(const std::string& holder) {
  std::vector<int64_t> back;
  for (auto& [id, e] : live_) {
    if (!e.returned && e.holder == holder) {
      e.holder.clear();
      back.push_back(id);
    }
  }
  // In lease order, ahead of anything that waits already.
  for (int64_t id : back) queue_again(id);
  return static_cast<int64_t>(back.size());
}

int64_t PromptLeases::open_for_step(int64_t step) const {
  int64_t n = 0;
  for (const auto& [id, e] : live_) n += e.lease.step == step && !e.returned;
  return n;
}

bool PromptLeases::step_closed(int64_t step) const {
  if (!exhausted_ && fill_step_ <= step) return false;  // fresh leases of the step still to come
  for (int64_t r : refills_) {
    if (r == step && !exhausted_) return false;
  }
  return open_for_step(step) == 0;
}

void PromptLeases::trained(int64_t step) {
  for (auto it = live_.begin(); it != live_.end();) {
    it = it->second.lease.step == step ? live_.erase(it) : std::next(it);
  }
}

nlohmann::json PromptLeases::to_json() const {
  nlohmann::json leases = nlohmann::json::array();
  for (const auto& [id, e] : live_) {
    leases.push_back({{"lease", id},
                      {"step", e.lease.step},
                      {"seed", e.lease.seed},
                      {"id", e.lease.prompt.id},
                      {"text", e.lease.prompt.text},
                      {"answer", e.lease.prompt.answer},
                      {"metadata", e.lease.prompt.metadata_json}});
  }
  return {{"format", "ascent.prompt_leases.v1"},
          {"next_lease", next_lease_},
          {"fill_step", fill_step_},
          {"fill_count", fill_count_},
          {"exhausted", exhausted_},
          {"refills", refills_},
          {"untrained", leases}};
}

absl::Status PromptLeases::restore(const nlohmann::json& j, const std::string& where) {
  try {
    if (j.at("format") != "ascent.prompt_leases.v1")
      return absl::InvalidArgumentError(absl::StrCat(where, ": not ascent.prompt_leases.v1"));
    next_lease_ = j.at("next_lease").get<int64_t>();
    fill_step_ = j.at("fill_step").get<int64_t>();
    fill_count_ = j.at("fill_count").get<int64_t>();
    exhausted_ = j.at("exhausted").get<bool>();
    refills_.clear();
    for (const auto& r : j.at("refills")) refills_.push_back(r.get<int64_t>());
    live_.clear();
    again_.clear();
    for (const auto& l : j.at("untrained")) {
      Entry e;  // every untrained lease is handed out again: its group may have died with the old learner
      e.lease.lease = l.at("lease").get<int64_t>();
      e.lease.step = l.at("step").get<int64_t>();
      e.lease.seed = l.at("seed").get<uint64_t>();
      e.lease.prompt = {l.at("id").get<std::string>(), l.at("text").get<std::string>(),
                        l.at("answer").get<std::string>(), l.at("metadata").get<std::string>(), ""};
      again_.push_back(e.lease.lease);
      live_.emplace(e.lease.lease, std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": prompt leases: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace ascent
