#include "actor/actor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "actor/decode_loop.h"
#include "actor/group_sender.h"
#include "actor/heartbeat.h"
#include "actor/weight_fetcher.h"
#include "transport/rollout_client.h"

namespace ascent {
namespace {

std::string host_of(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace

Actor::Actor(ActorConfig cfg, Model& model, PromptText text, RewardPipeline* rewards)
    : cfg_(std::move(cfg)), model_(model), text_(std::move(text)), rewards_(rewards) {
  cfg_.credentials.name = cfg_.name;
  if (cfg_.incarnation.empty()) {
    cfg_.incarnation = absl::StrCat(cfg_.name, "-", getpid(), "-",
                                    std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  }
  if (cfg_.prefetch <= 0)
    cfg_.prefetch = std::max<int64_t>(1, cfg_.decode.slots / std::max<int64_t>(1, cfg_.group_size));
}

void Actor::stop() {
  stop_ = true;
  absl::MutexLock lock(&shared_.mu);
  shared_.changed.SignalAll();  // wake every waiting thread to see it
}

ActorStats Actor::stats() {
  absl::MutexLock lock(&shared_.mu);
  return shared_.stats;
}

absl::Status Actor::run(const std::string& learner_address) {
  LearnerClient client(learner_address, cfg_.credentials, 30);
  auto reg = client.register_actor(cfg_.name, cfg_.incarnation, cfg_.register_timeout_s);
  if (!reg.ok())
    return absl::UnavailableError(absl::StrCat("learner ", learner_address, ": ", reg.status().message()));
  if (reg->weights_port() <= 0) return absl::FailedPreconditionError("the learner serves no weights");
  shared_.heartbeat_s = reg->heartbeat_s() > 0 ? reg->heartbeat_s() : 1.0;
  WeightFetcher weights(shared_, cfg_, absl::StrCat(host_of(learner_address), ":", reg->weights_port()),
                        model_);

  // Heartbeats from the start: the first weights of a large model take longer than the learner waits.
  std::thread heartbeat_thread([&] { heartbeat_loop(shared_, client, cfg_, learner_address); });
  weights.run(/*once=*/true);  // the learner's current weights before the first token
  const int64_t first = weights.swap_into(model_);
  if (first < 0) {
    shared_.quit = true;
    {
      absl::MutexLock lock(&shared_.mu);
      shared_.changed.SignalAll();
    }
    heartbeat_thread.join();
    absl::MutexLock lock(&shared_.mu);
    return shared_.error.ok() ? absl::CancelledError("stopped before the first weights") : shared_.error;
  }
  DecodeLoop decode(shared_, cfg_, model_, text_, client, weights, first);
  std::thread weight_thread([&] { weights.run(/*once=*/false); });
  std::thread sender_thread([&] { group_sender_loop(shared_, cfg_, rewards_, learner_address); });

  const absl::Status result = decode.run();
  const bool finished = decode.learner_finished();
  {
    absl::MutexLock lock(&shared_.mu);
    shared_.sender_done = true;
    // An error, stop() or the end of the run: what is unsent is of no use (the learner hands the leases out
    // again or has finished); max_groups reached: the sender flushes everything.
    if (!result.ok() || stop_ || finished) shared_.quit = true;
    shared_.changed.SignalAll();
  }
  sender_thread.join();
  {
    absl::MutexLock lock(&shared_.mu);
    shared_.quit = true;
    shared_.changed.SignalAll();
  }
  weight_thread.join();
  heartbeat_thread.join();
  if (!result.ok()) return result;
  absl::MutexLock lock(&shared_.mu);
  if (!shared_.error.ok() && !stop_ && !finished) return shared_.error;
  return absl::OkStatus();
}

}  // namespace ascent
