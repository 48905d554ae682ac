#include "generation/continuous_batcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/transformer.h"

namespace ascent {

ContinuousBatcher::ContinuousBatcher(Model& m, int64_t slots, int64_t max_len,
                                     std::function<std::string(int32_t)> token_text)
    : m_(m),
      token_text_(std::move(token_text)),
      cache_(kv_cache_create(m, slots, max_len)),
      slots_(static_cast<size_t>(slots)),
      max_len_(max_len) {}

absl::Status ContinuousBatcher::submit(GenRequest req) {
  if (req.prompt.empty())
    return absl::InvalidArgumentError(absl::StrCat("request ", req.id, ": empty prompt"));
  if (req.n < 1 || req.n > static_cast<int64_t>(slots_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("request ", req.id, ": n = ", req.n, " with ", slots_.size(), " slots"));
  }
  if (!req.stop_strings.empty() && !token_text_) {
    return absl::InvalidArgumentError(
        absl::StrCat("request ", req.id, ": stop strings need a tokenizer (token_text)"));
  }
  for (const std::string& st : req.stop_strings) {
    if (st.empty())
      return absl::InvalidArgumentError(absl::StrCat("request ", req.id, ": an empty stop string"));
  }
  const InterruptConfig& ic = req.interrupt;
  if (ic.enabled && (ic.min_tokens < 1 || ic.max_tokens < ic.min_tokens || ic.max_tokens > req.max_tokens ||
                     ic.solution_tokens < 1 || ic.forced.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("request ", req.id,
                     ": interruption needs 1 <= min <= max <= max_tokens, forced "
                     "tokens and a solution budget"));
  }
  const ToolUse& tu = req.tools;
  if (tu.hook != nullptr && (tu.max_turns < 1 || tu.max_total_tokens < 0 || ic.enabled)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request ", req.id, ": tool use needs max_turns >= 1, max_total_tokens >= 0 and no interruption"));
  }
  const int64_t total =
      req.max_tokens + (ic.enabled ? static_cast<int64_t>(ic.forced.size()) + ic.solution_tokens : 0);
  if (req.max_tokens < 1 || static_cast<int64_t>(req.prompt.size()) + total > max_len_) {
    return absl::InvalidArgumentError(absl::StrCat("request ", req.id, ": prompt ", req.prompt.size(), " + ",
                                                   total, " completion tokens exceed the slot length ",
                                                   max_len_));
  }
  queue_.push_back(std::move(req));
  return absl::OkStatus();
}

int64_t ContinuousBatcher::oldest_running_version() const {
  int64_t oldest = version_;
  for (const Slot& s : slots_) {
    if (s.busy && !s.seq.versions.empty()) oldest = std::min(oldest, s.seq.versions.front());
  }
  return oldest;
}

bool ContinuousBatcher::hits_stop_string(Slot& s, int32_t token) {
  if (s.req->stop_strings.empty()) return false;
  size_t longest = 0;
  for (const std::string& st : s.req->stop_strings) longest = std::max(longest, st.size());
  const std::string bytes = token_text_(token);
  s.text_tail += bytes;
  // Only a match that ends in this token's bytes is new; earlier text was checked before.
  bool hit = false;
  for (const std::string& st : s.req->stop_strings) {
    const size_t from = s.text_tail.size() >= bytes.size() + st.size() - 1
                            ? s.text_tail.size() - bytes.size() - st.size() + 1
                            : 0;
    if (s.text_tail.find(st, from) != std::string::npos) hit = true;
  }
  if (s.text_tail.size() > longest) s.text_tail.erase(0, s.text_tail.size() - (longest - 1));
  return hit;
}

void ContinuousBatcher::append_forced(Slot& s, const std::vector<int32_t>& tokens) {
  for (int32_t t : tokens) {
    s.seq.tokens.push_back(t);
    s.seq.logprobs.push_back(0.0f);
    s.seq.versions.push_back(version_);
    s.seq.forced.push_back(1);
  }
}

void ContinuousBatcher::finish(Slot& s, const char* reason, std::vector<GenSequence>& finished) {
  s.seq.finish_reason = reason;
  finished.push_back(std::move(s.seq));
  s.busy = false;
  s.waiting = false;
  --running_;
}

bool ContinuousBatcher::start_tool_wait(int64_t k, Slot& s) {
  const ToolUse& tu = s.req->tools;
  if (tu.hook == nullptr || s.seq.turns >= tu.max_turns) return false;
  const int64_t ticket = next_ticket_++;
  if (!tu.hook->turn_ended(ticket, s.seq, s.phase_start)) return false;
  s.waiting = true;
  tickets_[ticket] = k;
  return true;
}

void ContinuousBatcher::resume_tool_waits(std::vector<GenSequence>& finished) {
  std::vector<ToolHook*> hooks;
  for (const auto& [ticket, k] : tickets_) {
    ToolHook* h = slots_[static_cast<size_t>(k)].req->tools.hook;
    if (std::find(hooks.begin(), hooks.end(), h) == hooks.end()) hooks.push_back(h);
  }
  for (ToolHook* h : hooks) {
    for (ToolResume& r : h->poll()) {
      auto it = tickets_.find(r.ticket);
      if (it == tickets_.end()) continue;  // not ours (or already answered)
      Slot& s = slots_[static_cast<size_t>(it->second)];
      tickets_.erase(it);
      s.seq.tool_calls += r.calls;
      for (const std::string& kind : r.errors) ++s.seq.tool_errors[kind];
      if (r.tokens.empty()) {
        finish(s, "stop", finished);
        continue;
      }
      // Room for the appended tokens and at least one sampled token, in the slot and in the total budget.
      const int64_t have = static_cast<int64_t>(s.seq.tokens.size());
      int64_t room = max_len_ - static_cast<int64_t>(s.seq.prompt.size());
      if (s.req->tools.max_total_tokens > 0) room = std::min(room, s.req->tools.max_total_tokens);
      if (have + static_cast<int64_t>(r.tokens.size()) + 1 > room) {
        finish(s, "length", finished);
        continue;
      }
      append_forced(s, r.tokens);
      s.waiting = false;
      ++s.seq.turns;
      s.phase_start = static_cast<int64_t>(s.seq.tokens.size());
      s.max_tokens = std::min(s.req->max_tokens, room - s.phase_start);
      s.text_tail.clear();
    }
  }
}

absl::StatusOr<std::vector<GenSequence>> ContinuousBatcher::step() {
  std::vector<GenSequence> finished;
  if (!tickets_.empty()) resume_tool_waits(finished);
  // Admit whole requests (all n completions) in arrival order while slots are free.
  while (!paused_ && !queue_.empty()) {
    const int64_t free = static_cast<int64_t>(
        std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.busy; }));
    if (free < queue_.front().n) break;
    admitted_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    GenRequest* req = &admitted_.back();
    int64_t leader = -1;
    for (int64_t i = 0, k = 0; i < req->n; ++k) {
      Slot& s = slots_[static_cast<size_t>(k)];
      if (s.busy) continue;
      s = Slot{};
      s.busy = true;
      s.fresh = true;
      s.req = req;
      s.seq.request_id = req->id;
      s.seq.index = i;
      s.seq.prompt = req->prompt;
      s.rng = Rng(req->seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(i));
      s.max_tokens = req->max_tokens;
      if (req->interrupt.enabled) {
        // The budget comes from the completion's own stream before any token: the same for the same seed.
        const InterruptConfig& ic = req->interrupt;
        s.seq.think_budget =
            ic.min_tokens +
            static_cast<int64_t>(s.rng.next_u64() % static_cast<uint64_t>(ic.max_tokens - ic.min_tokens + 1));
        s.max_tokens = s.seq.think_budget;
      }
      s.group_leader = leader < 0 ? -1 : leader;
      if (leader < 0) leader = k;
      ++running_;
      ++i;
    }
  }
  // One call: the prompt of each new group (once, in its leader's slot) and one token of every other
  // sequence.
  PackedBatch b;
  std::vector<int64_t> rows;  // the slot each segment's logits belong to
  for (int64_t k = 0; k < static_cast<int64_t>(slots_.size()); ++k) {
    Slot& s = slots_[static_cast<size_t>(k)];
    if (!s.busy || s.waiting) continue;
    if (s.fresh) {
      if (s.group_leader >= 0) continue;  // prefilled through its leader
      const int64_t P = static_cast<int64_t>(s.seq.prompt.size());
      b.tokens.insert(b.tokens.end(), s.seq.prompt.begin(), s.seq.prompt.end());
      b.segments.push_back({P, 0, k});
    } else {
      // Every completion token not yet in the cache: the last sampled one, and forced tokens after it.
      const int64_t n_new = static_cast<int64_t>(s.seq.tokens.size()) - s.fed;
      b.tokens.insert(b.tokens.end(), s.seq.tokens.begin() + s.fed, s.seq.tokens.end());
      b.segments.push_back({n_new, static_cast<int64_t>(s.seq.prompt.size()) + s.fed, k});
    }
    rows.push_back(k);
  }
  last_step_tokens_ = static_cast<int64_t>(b.tokens.size());
  if (rows.empty()) {
    // Every running sequence waits for a tool: wait for an answer instead of spinning.
    if (!tickets_.empty() && finished.empty())
      slots_[static_cast<size_t>(tickets_.begin()->second)].req->tools.hook->wait(10);
    return finished;
  }
  const int64_t V = m_.cfg.vocab_size;
  logits_.resize(rows.size() * static_cast<size_t>(V));
  ASCENT_RETURN_IF_ERROR(model_forward_last_logits(m_, b, cache_, logits_.data()));
  auto sample_into = [&](Slot& s, const float* lg) {
    s.fed = static_cast<int64_t>(s.seq.tokens.size());  // everything before the new token is in the cache now
    const Sample smp = sampler_sample(lg, V, s.req->sampler, s.rng);
    s.seq.tokens.push_back(smp.token);
    s.seq.logprobs.push_back(smp.logprob);
    s.seq.versions.push_back(version_);
    s.seq.forced.push_back(0);
    const InterruptConfig& ic = s.req->interrupt;
    const int64_t in_phase = static_cast<int64_t>(s.seq.tokens.size()) - s.phase_start;
    const bool end_of_turn =
        std::find(s.req->stop_ids.begin(), s.req->stop_ids.end(), smp.token) != s.req->stop_ids.end();
    const bool stop = end_of_turn || hits_stop_string(s, smp.token);
    if (!stop && ic.enabled && !s.solving && (smp.token == ic.end_think_id || in_phase >= s.max_tokens)) {
      if (smp.token != ic.end_think_id) {  // out of thinking budget: append the interruption text
        append_forced(s, ic.forced);
        s.seq.interrupted = true;
      }
      s.solving = true;
      s.phase_start = static_cast<int64_t>(s.seq.tokens.size());
      s.max_tokens = ic.solution_tokens;
      return;
    }
    // Only an end-of-turn token ends a turn that may call tools (a stop string ends the completion).
    if (end_of_turn && start_tool_wait(&s - slots_.data(), s)) return;
    if (stop || in_phase >= s.max_tokens) finish(s, stop ? "stop" : "length", finished);
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    Slot& s = slots_[static_cast<size_t>(rows[r])];
    const float* lg = logits_.data() + r * static_cast<size_t>(V);
    if (s.fresh) {
      // A group's leader: copy its prompt cache to the followers, and every member samples its first token
      // from the same prompt logits with its own stream.
      const int64_t P = static_cast<int64_t>(s.seq.prompt.size());
      std::vector<Slot*> members{&s};
      for (int64_t k = 0; k < static_cast<int64_t>(slots_.size()); ++k) {
        Slot& f = slots_[static_cast<size_t>(k)];
        if (f.busy && f.fresh && f.group_leader == rows[r]) {
          kv_cache_copy_slot(cache_, rows[r], k, P);
          members.push_back(&f);
        }
      }
      std::sort(members.begin(), members.end(), [](Slot* a, Slot* c) { return a->seq.index < c->seq.index; });
      for (Slot* mbr : members) {
        mbr->fresh = false;
        sample_into(*mbr, lg);
      }
    } else {
      sample_into(s, lg);
    }
  }
  // Forget requests none of whose sequences still run.
  while (!admitted_.empty()) {
    const GenRequest* front = &admitted_.front();
    const bool used =
        std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.busy && s.req == front; });
    if (used) break;
    admitted_.pop_front();
  }
  return finished;
}

}  // namespace ascent
