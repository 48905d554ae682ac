#include "actor/group_sender.h"

#include <chrono>

#include "core/clock.h"
#include "core/threads.h"
#include "core/utf8.h"
#include "transport/rollout_client.h"

namespace ascent {
namespace {

using Clock = SteadyClock;

// The rewards of a group's completions, written into the group.
void group_score(OutgoingGroup& out, RewardPipeline* rewards) {
  if (rewards == nullptr) {
    for (auto& c : *out.group.mutable_completions()) c.set_reward_ok(true);
    return;
  }
  auto scored = rewards->score_groups({out.inputs})[0];
  for (size_t i = 0; i < scored.size(); ++i) {
    rollout::v1::Completion* c = out.group.mutable_completions(static_cast<int>(i));
    c->set_reward(scored[i].reward);
    c->set_reward_ok(scored[i].ok);
    // A plugin's reason may be any bytes of any length: protobuf strings are UTF-8, and the learner takes a
    // bounded message (its size limit counts 64 KiB per completion).
    c->set_reward_error(utf8_lossy(scored[i].error.substr(0, 4096)));
    c->set_correct(scored[i].correct);
    for (const auto& [name, r] : scored[i].components) (*c->mutable_components())[name] = r.value;
    if (scored[i].has_group_sigma) {
      out.group.set_has_hero_sigma(true);
      out.group.set_hero_sigma(scored[i].group_sigma);
    }
  }
}

// The next group to send; false when the decode loop is done and the outbox empty, or the actor quits.
bool outbox_take(ActorShared& s, OutgoingGroup* out) {
  absl::MutexLock lock(&s.mu);
  while (s.outbox.empty() && !s.sender_done && !s.quit) s.wait(absl::InfiniteFuture());
  if (s.quit || s.outbox.empty()) return false;
  *out = std::move(s.outbox.front());
  s.outbox.pop_front();
  s.changed.SignalAll();
  return true;
}

}  // namespace

void group_sender_loop(ActorShared& shared, const ActorConfig& cfg, RewardPipeline* rewards,
                       const std::string& learner_address) {
  threads_adopt();  // the reward model runs kernels on this thread
  RolloutSender sender(learner_address, cfg.credentials, cfg.incarnation, cfg.window);
  OutgoingGroup out;
  while (outbox_take(shared, &out)) {
    const Clock::time_point t_reward = Clock::now();
    group_score(out, rewards);
    const Clock::time_point t_send = Clock::now();
    if (absl::Status st = sender.send(std::move(out.group)); !st.ok()) {
      shared.fail(st);
      return;
    }
    absl::MutexLock lock(&shared.mu);
    shared.stats.groups_sent++;
    shared.stats.reward_s += seconds_between(t_reward, t_send);
    shared.stats.send_s += seconds_since(t_send);
  }
  if (shared.quit) return;  // what is unsent is of no use
  if (absl::Status st = sender.flush(cfg.learner_lost_s); !st.ok()) shared.fail(st);
}

}  // namespace ascent
