#include "actor/decode_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actor/heartbeat.h"
#include "core/clock.h"
#include "core/status.h"

namespace ascent {

DecodeLoop::DecodeLoop(ActorShared& shared, const ActorConfig& cfg, Model& model, const PromptText& text,
                       LearnerClient& client, WeightFetcher& weights, int64_t version)
    : shared_(shared),
      cfg_(cfg),
      model_(model),
      text_(text),
      client_(client),
      weights_(weights),
      batcher_(model, cfg.decode.slots, cfg.decode.max_len, text.token_bytes),
      next_ask_(SteadyClock::now()) {
  batcher_.set_version(version);
}

absl::Status DecodeLoop::run() {
  if (!tools_) {  // made here: a tool session uses the codec on this (the decode) thread
    absl::StatusOr<std::unique_ptr<ToolHook>> ts = tool_hook_make(text_, cfg_.decode);
    if (!ts.ok()) return ts.status();
    tools_ = *std::move(ts);
  }
  while (!shared_.done()) {
    {
      absl::MutexLock lock(&shared_.mu);
      finished_ = finished_ || shared_.learner_finished;
    }
    if (finished_) break;  // the run is over: in-flight work is of no use
    if (const int64_t v = weights_.swap_into(model_); v >= 0) batcher_.set_version(v);
    const int64_t version = batcher_.version();
    ASCENT_RETURN_IF_ERROR(lease_more());
    ASCENT_RETURN_IF_ERROR(admit(version));
    const bool lag_hold = version - batcher_.oldest_running_version() > cfg_.max_lag;
    batcher_.pause_admission(lag_hold);
    view_update(version, lag_hold);
    if (batcher_.idle()) {
      const bool capped = cfg_.max_groups > 0 && leased_ >= cfg_.max_groups;
      if (capped && open_.empty() && pending_.empty()) break;
      const SteadyClock::time_point t0 = SteadyClock::now();
      weights_.wait_staged(absl::Milliseconds(5));  // weights (the lag bound) or leases
      absl::MutexLock lock(&shared_.mu);
      shared_.stats.idle_s += seconds_since(t0);
      continue;
    }
    ASCENT_RETURN_IF_ERROR(step());
  }
  return absl::OkStatus();
}

// Keeps `prefetch` leases in hand (while the data are exhausted for now: asks again later).
absl::Status DecodeLoop::lease_more() {
  const bool capped = cfg_.max_groups > 0 && leased_ >= cfg_.max_groups;
  if (capped || static_cast<int64_t>(pending_.size()) >= cfg_.prefetch || SteadyClock::now() < next_ask_) {
    return absl::OkStatus();
  }
  int64_t want = cfg_.prefetch - static_cast<int64_t>(pending_.size());
  if (cfg_.max_groups > 0) want = std::min(want, cfg_.max_groups - leased_);
  auto r = client_.prompts(cfg_.incarnation, want);
  if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound) {
    return actor_register_again(client_, cfg_, shared_);  // declared lost: join again, ask next time
  }
  if (!r.ok()) {
    next_ask_ = SteadyClock::now() + std::chrono::milliseconds(200);  // the heartbeat decides when it is lost
    return absl::OkStatus();
  }
  if (r->finished()) finished_ = true;
  for (const rollout::v1::Prompt& p : r->prompts()) pending_.push_back(p), ++leased_;
  if (r->prompts_size() == 0) next_ask_ = SteadyClock::now() + std::chrono::milliseconds(20);
  return absl::OkStatus();
}

// A lease starts with weights >= its step - max_lag, one request queued at a time.
absl::Status DecodeLoop::admit(int64_t version) {
  while (!pending_.empty() && batcher_.queued() == 0 && pending_.front().step() - cfg_.max_lag <= version) {
    const rollout::v1::Prompt& p = pending_.front();
    auto tokens = text_.encode(p.text());
    if (!tokens.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("lease ", p.lease(), " (prompt ", p.prompt_id(), "): ", tokens.status().message()));
    }
    GenRequest req = decode_settings_request(cfg_.decode, p.lease(), *tokens, cfg_.group_size, p.seed());
    req.tools.hook = tools_.get();
    if (absl::Status st = batcher_.submit(std::move(req)); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("lease ", p.lease(), ": ", st.message()));
    }
    open_[p.lease()] = Open{p, *std::move(tokens), {}};
    pending_.pop_front();
  }
  return absl::OkStatus();
}

void DecodeLoop::view_update(int64_t version, bool lag_hold) {
  absl::MutexLock lock(&shared_.mu);
  shared_.oldest_running = batcher_.oldest_running_version();
  shared_.running = batcher_.running();
  if (batcher_.queued() == 0) return;
  if (lag_hold) {
    shared_.stats.lag_paused_steps++;
  } else {
    shared_.stats.max_admission_lag =
        std::max(shared_.stats.max_admission_lag, version - shared_.oldest_running);
  }
}

absl::Status DecodeLoop::step() {
  const SteadyClock::time_point t0 = SteadyClock::now();
  auto fin = batcher_.step();
  if (!fin.ok()) return fin.status();
  const double dt = seconds_since(t0);
  std::vector<OutgoingGroup> ready;
  for (GenSequence& s : *fin) {
    Open& o = open_.at(s.request_id);
    o.done.push_back(std::move(s));
    if (static_cast<int64_t>(o.done.size()) < cfg_.group_size) continue;
    const int64_t lease = o.prompt.lease();
    ready.push_back(group_make(o));
    open_.erase(lease);
  }
  outbox_push(ready, dt);
  return absl::OkStatus();
}

// All G completions of a lease, in completion order, with the texts the rewards read.
OutgoingGroup DecodeLoop::group_make(Open& o) {
  OutgoingGroup out;
  rollout::v1::Group& g = out.group;
  g.set_lease(o.prompt.lease());
  g.set_step(o.prompt.step());
  g.set_prompt_id(o.prompt.prompt_id());
  for (int32_t t : o.tokens) g.add_prompt(t);
  std::sort(o.done.begin(), o.done.end(),
            [](const GenSequence& a, const GenSequence& b) { return a.index < b.index; });
  for (const GenSequence& d : o.done) {
    rollout::v1::Completion* c = g.add_completions();
    c->mutable_tokens()->Add(d.tokens.begin(), d.tokens.end());
    c->mutable_logprobs()->Add(d.logprobs.begin(), d.logprobs.end());
    c->mutable_versions()->Add(d.versions.begin(), d.versions.end());
    for (uint8_t f : d.forced) c->add_forced(f);
    c->set_finish_reason(d.finish_reason);
    if (tools_) {
      c->set_turns(static_cast<int32_t>(d.turns));
      c->set_tool_calls(static_cast<int32_t>(d.tool_calls));
      for (const auto& [kind, n] : d.tool_errors) (*c->mutable_tool_errors())[kind] = static_cast<int32_t>(n);
    }
    out.inputs.push_back(
        {o.prompt.text(), text_.decode(d.tokens), o.prompt.answer(), o.prompt.metadata_json()});
  }
  return out;
}

// Statistics of the step, then the finished groups into the outbox; a full outbox blocks (backpressure).
void DecodeLoop::outbox_push(std::vector<OutgoingGroup>& ready, double decode_s) {
  absl::MutexLock lock(&shared_.mu);
  shared_.stats.steps++;
  shared_.stats.decode_s += decode_s;
  shared_.stats.tokens += batcher_.last_step_tokens();
  for (OutgoingGroup& o : ready) {
    shared_.stats.completions += o.group.completions_size();
    while (shared_.outbox.size() >= cfg_.window && !shared_.done()) shared_.wait(absl::InfiniteFuture());
    shared_.outbox.push_back(std::move(o));
    shared_.changed.SignalAll();
  }
}

}  // namespace ascent
