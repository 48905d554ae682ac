#include "actor/heartbeat.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace ascent {
namespace {

// The heartbeat of this moment, or nothing when the actor is done.
bool heartbeat_make(ActorShared& s, const ActorConfig& cfg, rollout::v1::Heartbeat* hb) {
  absl::MutexLock lock(&s.mu);
  const absl::Time deadline = absl::Now() + absl::Seconds(s.heartbeat_s);
  while (!s.done() && s.wait(deadline)) {
  }
  if (s.done()) return false;
  hb->set_incarnation(cfg.incarnation);
  hb->set_weights_version(s.stats.version);
  hb->set_oldest_version(s.oldest_running);
  hb->set_running(s.running);
  auto& sec = *hb->mutable_seconds();
  sec["decode"] = s.stats.decode_s;
  sec["reward"] = s.stats.reward_s;
  sec["send"] = s.stats.send_s;
  sec["weight_receive"] = s.stats.weight_receive_s;
  sec["weight_swap"] = s.stats.weight_swap_s;
  sec["idle"] = s.stats.idle_s;
  return true;
}

}  // namespace

absl::Status actor_register_again(LearnerClient& client, const ActorConfig& cfg, ActorShared& shared) {
  auto r = client.register_actor(cfg.name, cfg.incarnation, 30);
  if (!r.ok()) return r.status();
  absl::MutexLock lock(&shared.mu);
  shared.stats.reregistrations++;
  return absl::OkStatus();
}

void heartbeat_loop(ActorShared& shared, LearnerClient& client, const ActorConfig& cfg,
                    const std::string& learner_address) {
  auto last_ok = SteadyClock::now();
  rollout::v1::Heartbeat hb;
  while (heartbeat_make(shared, cfg, &hb)) {
    auto ack = client.heartbeat(hb);
    if (ack.ok()) {
      last_ok = SteadyClock::now();
      if (ack->finished()) {
        absl::MutexLock lock(&shared.mu);
        shared.learner_finished = true;
        shared.changed.SignalAll();
      }
    } else if (ack.status().code() == absl::StatusCode::kNotFound) {
      // Declared lost (a long pause): join again.
      if (actor_register_again(client, cfg, shared).ok()) last_ok = SteadyClock::now();
    } else if (seconds_since(last_ok) > cfg.learner_lost_s) {
      shared.fail(absl::UnavailableError(absl::StrCat("learner ", learner_address, " unreachable for ",
                                                      cfg.learner_lost_s, " s: ", ack.status().message())));
      return;
    }
  }
}

}  // namespace ascent
