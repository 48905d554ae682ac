#include "actor/actor_loop.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "transport/rollout_client.h"
#include "transport/weight_client.h"
#include "core/threads.h"
#include "core/status.h"
#include "proto/rollout.pb.h"

namespace ascent {

namespace rv1 = ascent::rollout::v1;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string host_of(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// A finished group waiting for its rewards and the stream.
struct Outgoing {
  rv1::Group group;
  std::vector<RewardInput> inputs;
};

}  // namespace

struct Actor::Impl {
  std::unique_ptr<LearnerClient> client;
  std::unique_ptr<WeightClient> weights;
  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::vector<float> staging;
  bool staged_ready = false;
  int64_t staged_version = -1, have_version = -1;
  std::deque<Outgoing> outbox;
  bool sender_done = false;
  absl::Status thread_error;  // the first error of a helper thread
  bool learner_finished = false;
  int64_t hb_version = -1, hb_oldest = -1, hb_running = 0;
  ActorStats stats;
  double heartbeat_s = 1;
};

Actor::Actor(ActorConfig cfg, Model& model, PromptText text, RewardPipeline* rewards)
    : impl_(std::make_unique<Impl>()),
      cfg_(std::move(cfg)),
      model_(model),
      text_(std::move(text)),
      rewards_(rewards) {
  if (cfg_.incarnation.empty()) {
    cfg_.incarnation =
        absl::StrCat(cfg_.name, "-", getpid(), "-", Clock::now().time_since_epoch().count() % 1000000007);
  }
  if (cfg_.prefetch <= 0)
    cfg_.prefetch = std::max<int64_t>(1, cfg_.decode.slots / std::max<int64_t>(1, cfg_.group_size));
}

Actor::~Actor() = default;

ActorStats Actor::stats() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

absl::Status Actor::run(const std::string& learner_address) {
  Impl& im = *impl_;
  im.client = std::make_unique<LearnerClient>(learner_address, 30);
  auto reg = im.client->register_actor(cfg_.name, cfg_.incarnation, cfg_.register_timeout_s);
  if (!reg.ok())
    return absl::UnavailableError(absl::StrCat("learner ", learner_address, ": ", reg.status().message()));
  if (reg->weights_port() <= 0) return absl::FailedPreconditionError("the learner serves no weights");
  im.heartbeat_s = reg->heartbeat_s() > 0 ? reg->heartbeat_s() : 1.0;
  const std::string weights_address = absl::StrCat(host_of(learner_address), ":", reg->weights_port());
  im.weights = std::make_unique<WeightClient>(weights_address, 60);
  const int64_t numel = static_cast<int64_t>(model_.params.size());
  im.staging.assign(model_.params.size(), 0.0f);

  std::atomic<bool> quit{false};
  auto fail = [&](absl::Status st) {
    std::lock_guard<std::mutex> lock(im.mu);
    if (im.thread_error.ok()) im.thread_error = std::move(st);
    quit = true;
    im.cv.notify_all();
  };

  // Weights: fetch every newer version into the staging copy; the decode loop swaps it in.
  auto fetch_weights = [&](bool once) {
    Clock::time_point unreachable = Clock::now();
    while (!quit && !stop_) {
      auto m = im.weights->manifest();
      bool busy;
      int64_t have;
      {
        std::lock_guard<std::mutex> lock(im.mu);
        busy = im.staged_ready;
        have = std::max(im.have_version, im.staged_version);
      }
      if (!m.ok() && m.status().code() != absl::StatusCode::kUnavailable) {
        fail(absl::Status(m.status().code(),
                          absl::StrCat("weights from ", weights_address, ": ", m.status().message())));
        return;
      }
      if (!m.ok() && seconds_since(unreachable) > cfg_.learner_lost_s) {
        fail(absl::UnavailableError(absl::StrCat("no weights from ", weights_address, " for ",
                                                 cfg_.learner_lost_s, " s: ", m.status().message())));
        return;
      }
      if (m.ok()) unreachable = Clock::now();
      if (m.ok() && m->numel != numel) {
        fail(absl::FailedPreconditionError(absl::StrCat("the learner's weights have ", m->numel,
                                                        " parameters, this actor's model ", numel)));
        return;
      }
      if (m.ok() && m->version > have && !busy) {
        ReceiveStats rs;
        const Clock::time_point t0 = Clock::now();
        absl::Status st = weights_receive(
            *m, [&](int64_t v, int64_t i) { return im.weights->bucket(v, i); }, im.staging.data(), numel, 3,
            &rs);
        std::lock_guard<std::mutex> lock(im.mu);
        im.stats.buckets_rejected += rs.rejected;
        if (st.ok()) {
          im.staged_version = m->version;
          im.staged_ready = true;
          im.stats.weight_receive_s += seconds_since(t0);
          im.cv.notify_all();
          if (once) return;
        } else if (st.code() == absl::StatusCode::kNotFound) {
          im.stats.weight_restarts++;  // a newer version was published meanwhile: start over
        } else if (st.code() != absl::StatusCode::kUnavailable) {
          im.thread_error = st;
          quit = true;
          im.cv.notify_all();
          return;
        }
        continue;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(cfg_.weight_poll_s * 1e6)));
    }
  };
  auto swap_weights = [&]() {
    std::lock_guard<std::mutex> lock(im.mu);
    if (!im.staged_ready) return false;
    const Clock::time_point t0 = Clock::now();
    const absl::Status swapped = model_swap_params(model_, im.staging);  // staging has the model's size
    ASCENT_CHECK(swapped.ok(), std::string(swapped.message()));
    im.have_version = im.staged_version;
    im.staged_ready = false;
    im.stats.weight_updates++;
    im.stats.version = im.have_version;
    im.stats.weight_swap_s += seconds_since(t0);
    return true;
  };

  // Heartbeats from the start: the first weights of a large model take longer than the learner waits.
  auto reregister = [&]() -> absl::Status {
    auto r = im.client->register_actor(cfg_.name, cfg_.incarnation, 30);
    if (!r.ok()) return r.status();
    std::lock_guard<std::mutex> lock(im.mu);
    im.stats.reregistrations++;
    return absl::OkStatus();
  };

  std::thread heartbeat_thread([&] {
    Clock::time_point last_ok = Clock::now();
    while (!quit && !stop_) {
      rv1::Heartbeat hb;
      {
        std::unique_lock<std::mutex> lock(im.mu);
        im.cv.wait_for(lock, std::chrono::microseconds(static_cast<int64_t>(im.heartbeat_s * 1e6)),
                       [&] { return quit || stop_; });
        if (quit || stop_) return;
        hb.set_incarnation(cfg_.incarnation);
        hb.set_weights_version(im.hb_version);
        hb.set_oldest_version(im.hb_oldest);
        hb.set_running(im.hb_running);
        auto& sec = *hb.mutable_seconds();
        sec["decode"] = im.stats.decode_s;
        sec["reward"] = im.stats.reward_s;
        sec["send"] = im.stats.send_s;
        sec["weight_receive"] = im.stats.weight_receive_s;
        sec["weight_swap"] = im.stats.weight_swap_s;
        sec["idle"] = im.stats.idle_s;
        hb.set_weights_version(im.have_version);
      }
      auto ack = im.client->heartbeat(hb);
      if (ack.ok()) {
        last_ok = Clock::now();
        if (ack->finished()) {
          std::lock_guard<std::mutex> lock(im.mu);
          im.learner_finished = true;
          im.cv.notify_all();
        }
      } else if (ack.status().code() == absl::StatusCode::kNotFound) {
        if (reregister().ok()) last_ok = Clock::now();  // declared lost (a long pause): join again
      } else if (seconds_since(last_ok) > cfg_.learner_lost_s) {
        fail(absl::UnavailableError(absl::StrCat("learner ", learner_address, " unreachable for ",
                                                 cfg_.learner_lost_s, " s: ", ack.status().message())));
        return;
      }
    }
  });

  // The learner's current weights before the first token.
  fetch_weights(/*once=*/true);
  if (!swap_weights()) {
    quit = true;
    im.cv.notify_all();
    heartbeat_thread.join();
    std::lock_guard<std::mutex> lock(im.mu);
    return im.thread_error.ok() ? absl::CancelledError("stopped before the first weights") : im.thread_error;
  }
  ContinuousBatcher batcher(model_, cfg_.decode.slots, cfg_.decode.max_len, text_.token_bytes);
  batcher.set_version(im.have_version);

  std::thread weight_thread([&] { fetch_weights(false); });

  // Scorer and sender: rewards for each finished group, then the stream (backpressure blocks here).
  std::thread sender_thread([&] {
    threads_adopt();  // the reward model runs kernels on this thread
    RolloutSender sender(learner_address, cfg_.incarnation, cfg_.window);
    while (true) {
      Outgoing out;
      {
        std::unique_lock<std::mutex> lock(im.mu);
        im.cv.wait(lock, [&] { return !im.outbox.empty() || im.sender_done || quit; });
        if (quit) return;
        if (im.outbox.empty()) break;
        out = std::move(im.outbox.front());
        im.outbox.pop_front();
        im.cv.notify_all();
      }
      const Clock::time_point t_reward = Clock::now();
      if (rewards_) {
        auto scored = rewards_->score_groups({out.inputs})[0];
        for (size_t i = 0; i < scored.size(); ++i) {
          rv1::Completion* c = out.group.mutable_completions(static_cast<int>(i));
          c->set_reward(scored[i].reward);
          c->set_reward_ok(scored[i].ok);
          c->set_reward_error(scored[i].error);
          auto v = scored[i].components.find("verifier");
          c->set_correct(v != scored[i].components.end() && v->second.ok && v->second.value > 0.5);
          for (const auto& [name, r] : scored[i].components) (*c->mutable_components())[name] = r.value;
          if (scored[i].has_group_sigma) {
            out.group.set_has_hero_sigma(true);
            out.group.set_hero_sigma(scored[i].group_sigma);
          }
        }
      } else {
        for (auto& c : *out.group.mutable_completions()) c.set_reward_ok(true);
      }
      const Clock::time_point t_send = Clock::now();
      absl::Status st = sender.send(std::move(out.group));
      if (!st.ok()) {
        fail(st);
        return;
      }
      std::lock_guard<std::mutex> lock(im.mu);
      im.stats.groups_sent++;
      im.stats.reward_s += std::chrono::duration<double>(t_send - t_reward).count();
      im.stats.send_s += seconds_since(t_send);
    }
    absl::Status st = sender.flush(cfg_.learner_lost_s);
    if (!st.ok()) fail(st);
  });

  // The decode loop.
  struct Open {
    rv1::Prompt prompt;
    std::vector<int32_t> tokens;
    std::vector<GenSequence> done;
  };
  std::deque<rv1::Prompt> pending;  // leased, not yet submitted
  std::map<int64_t, Open> open;     // by lease: submitted, not all completions finished
  int64_t leased = 0;
  bool finished = false;
  Clock::time_point next_ask = Clock::now();
  absl::Status result;
  while (!quit && !stop_) {
    {
      std::lock_guard<std::mutex> lock(im.mu);
      finished = finished || im.learner_finished;
    }
    if (finished) break;  // the run is over: in-flight work is of no use
    if (swap_weights()) batcher.set_version(im.have_version);
    const int64_t version = batcher.version();

    // Leases: keep `prefetch` in hand (not while the data are exhausted for now: ask again later).
    const bool capped = cfg_.max_groups > 0 && leased >= cfg_.max_groups;
    if (!capped && static_cast<int64_t>(pending.size()) < cfg_.prefetch && Clock::now() >= next_ask) {
      int64_t want = cfg_.prefetch - static_cast<int64_t>(pending.size());
      if (cfg_.max_groups > 0) want = std::min(want, cfg_.max_groups - leased);
      auto r = im.client->prompts(cfg_.incarnation, want);
      if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound) {
        if (absl::Status st = reregister(); !st.ok()) {
          result = st;
          break;
        }
        continue;
      }
      if (!r.ok()) {
        next_ask = Clock::now() + std::chrono::milliseconds(200);  // the heartbeat decides when it is lost
      } else {
        if (r->finished()) finished = true;
        for (const rv1::Prompt& p : r->prompts()) pending.push_back(p), ++leased;
        if (r->prompts_size() == 0) next_ask = Clock::now() + std::chrono::milliseconds(20);
      }
    }
    // Admission: a lease starts with weights >= its step - max_lag, one request queued at a time.
    while (!pending.empty() && batcher.queued() == 0 && pending.front().step() - cfg_.max_lag <= version) {
      const rv1::Prompt& p = pending.front();
      auto tokens = text_.encode(p.text());
      if (!tokens.ok()) {
        result = absl::InvalidArgumentError(
            absl::StrCat("lease ", p.lease(), " (prompt ", p.prompt_id(), "): ", tokens.status().message()));
        break;
      }
      GenRequest req = decode_settings_request(cfg_.decode, p.lease(), *tokens, cfg_.group_size, p.seed());
      if (absl::Status st = batcher.submit(std::move(req)); !st.ok()) {
        result = absl::InvalidArgumentError(absl::StrCat("lease ", p.lease(), ": ", st.message()));
        break;
      }
      open[p.lease()] = Open{p, *tokens, {}};
      pending.pop_front();
    }
    if (!result.ok()) break;
    const bool lag_hold = version - batcher.oldest_running_version() > cfg_.max_lag;
    batcher.pause_admission(lag_hold);
    {
      std::lock_guard<std::mutex> lock(im.mu);
      im.hb_version = version;
      im.hb_oldest = batcher.oldest_running_version();
      im.hb_running = batcher.running();
      if (lag_hold && batcher.queued() > 0) im.stats.lag_paused_steps++;
      if (!lag_hold && batcher.queued() > 0) {
        im.stats.max_admission_lag =
            std::max(im.stats.max_admission_lag, version - batcher.oldest_running_version());
      }
    }
    if (batcher.idle()) {
      if (capped && open.empty()) break;
      const Clock::time_point t0 = Clock::now();
      std::unique_lock<std::mutex> lock(im.mu);  // wait for weights (the lag bound) or for leases
      im.cv.wait_for(lock, std::chrono::milliseconds(5), [&] { return im.staged_ready || quit || stop_; });
      im.stats.idle_s += seconds_since(t0);
      continue;
    }
    const Clock::time_point t0 = Clock::now();
    auto fin = batcher.step();
    if (!fin.ok()) {
      result = fin.status();
      break;
    }
    const double dt = seconds_since(t0);
    std::vector<Outgoing> ready;
    for (GenSequence& s : *fin) {
      Open& o = open.at(s.request_id);
      o.done.push_back(std::move(s));
      if (static_cast<int64_t>(o.done.size()) < cfg_.group_size) continue;
      Outgoing out;
      rv1::Group& g = out.group;
      g.set_lease(o.prompt.lease());
      g.set_step(o.prompt.step());
      g.set_prompt_id(o.prompt.prompt_id());
      for (int32_t t : o.tokens) g.add_prompt(t);
      std::sort(o.done.begin(), o.done.end(),
                [](const GenSequence& a, const GenSequence& b) { return a.index < b.index; });
      for (const GenSequence& d : o.done) {
        rv1::Completion* c = g.add_completions();
        c->mutable_tokens()->Add(d.tokens.begin(), d.tokens.end());
        c->mutable_logprobs()->Add(d.logprobs.begin(), d.logprobs.end());
        c->mutable_versions()->Add(d.versions.begin(), d.versions.end());
        for (uint8_t f : d.forced) c->add_forced(f);
        c->set_finish_reason(d.finish_reason);
        out.inputs.push_back(
            {o.prompt.text(), text_.decode(d.tokens), o.prompt.answer(), o.prompt.metadata_json()});
      }
      ready.push_back(std::move(out));
      open.erase(s.request_id);
    }
    std::unique_lock<std::mutex> lock(im.mu);
    im.stats.steps++;
    im.stats.decode_s += dt;
    im.stats.tokens += batcher.last_step_tokens();
    for (Outgoing& o : ready) {
      im.stats.completions += o.group.completions_size();
      im.cv.wait(lock, [&] { return im.outbox.size() < cfg_.window || quit; });  // backpressure
      im.outbox.push_back(std::move(o));
      im.cv.notify_all();
    }
  }
  {
    std::lock_guard<std::mutex> lock(im.mu);
    im.sender_done = true;
    // An error, stop() or the end of the run: what is unsent is of no use (the learner hands the leases out
    // again or has finished); max_groups reached: flush everything.
    if (!result.ok() || stop_ || finished) quit = true;
    im.cv.notify_all();
  }
  sender_thread.join();
  quit = true;
  im.cv.notify_all();
  weight_thread.join();
  heartbeat_thread.join();
  std::lock_guard<std::mutex> lock(im.mu);
  if (!result.ok()) return result;
  if (!im.thread_error.ok() && !stop_ && !finished) return im.thread_error;
  return absl::OkStatus();
}

}  // namespace ascent
