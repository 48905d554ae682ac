#include "learner/rollout_endpoint.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ascent {

namespace rv1 = ascent::rollout::v1;

void RolloutEndpoint::lose_locked(Actor& a) {
  if (a.view.lost) return;
  a.view.lost = true;
  ++lost_;
  leases_->release(a.view.incarnation);
}

void RolloutEndpoint::reap_locked(std::vector<std::string>* lost) {
  const auto now = std::chrono::steady_clock::now();
  if (cfg_.lease_timeout_s > 0) leases_->expire(cfg_.lease_timeout_s);
  for (auto& [inc, a] : actors_) {
    if (!a.view.lost && std::chrono::duration<double>(now - a.seen).count() > cfg_.lost_after_s) {
      lose_locked(a);
      if (lost) lost->push_back(inc);
    }
  }
}

absl::StatusOr<RolloutEndpoint::Actor*> RolloutEndpoint::owned_locked(const std::string& caller,
                                                                      const std::string& incarnation) {
  auto it = actors_.find(incarnation);
  if (it == actors_.end())
    return absl::NotFoundError(absl::StrCat("actor ", incarnation, " is not registered"));
  if (it->second.view.name != caller) {
    return absl::PermissionDeniedError(
        absl::StrCat("incarnation ", incarnation, " is not one of ", caller.substr(0, 64), "'s"));
  }
  return &it->second;
}

absl::Status RolloutEndpoint::known_locked(const std::string& caller, const std::string& incarnation) {
  absl::StatusOr<Actor*> a = owned_locked(caller, incarnation);
  if (!a.ok()) return a.status();
  if ((*a)->view.lost) {
    return absl::NotFoundError(absl::StrCat("actor ", incarnation, " was declared lost; register again"));
  }
  (*a)->seen = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

absl::StatusOr<rv1::RegisterResponse> RolloutEndpoint::on_register(const std::string& caller,
                                                                   const rv1::RegisterRequest& req) {
  if (req.actor_name() != caller) {
    return absl::PermissionDeniedError(absl::StrCat("the token of ", caller.substr(0, 64),
                                                    " cannot register as ", req.actor_name().substr(0, 64)));
  }
  // An incarnation carries its name ("actor-0-4711-..."): no holder of one name's token can ever take an
  // incarnation string of another's, even one forgotten here that prompt leases still list as a holder.
  if (req.incarnation().rfind(caller + "-", 0) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("an incarnation of ", caller.substr(0, 64),
                                                    " starts with \"", caller.substr(0, 64), "-\", got \"",
                                                    req.incarnation().substr(0, 64), "\""));
  }
  absl::MutexLock lock(&mu_);
  auto known = actors_.find(req.incarnation());
  if (known != actors_.end() && known->second.view.name != caller)
    return absl::PermissionDeniedError(
        absl::StrCat("incarnation ", req.incarnation(), " is another actor's"));
  bool new_name = true;
  for (auto it = actors_.begin(); it != actors_.end();) {
    Actor& a = it->second;
    if (a.view.name != caller || it->first == req.incarnation()) {
      ++it;
      continue;
    }
    new_name = false;
    if (a.view.lost) {  // lost before: forgotten now (a name keeps one lost incarnation, the latest)
      forgotten_.push_back(it->first);
      it = actors_.erase(it);
      continue;
    }
    lose_locked(a);  // restarted
    ++it;
  }
  if (new_name && known == actors_.end() && names_.count(caller) == 0) {
    if (names_.size() >= kMaxActorNames)
      return absl::ResourceExhaustedError(absl::StrCat("more than ", kMaxActorNames, " actor names"));
    names_.insert(caller);
  }
  Actor& a = actors_[req.incarnation()];
  a.view.name = caller;
  a.view.incarnation = req.incarnation();
  a.view.lost = false;
  a.seen = std::chrono::steady_clock::now();
  rv1::RegisterResponse r;
  r.set_learner_version(version_);
  r.set_weights_port(cfg_.weights_port);
  r.set_heartbeat_s(cfg_.heartbeat_s);
  return r;
}

absl::Status RolloutEndpoint::admit_stream(const std::string& caller, const std::string& incarnation) {
  absl::MutexLock lock(&mu_);
  // A lost incarnation may still deliver what it made: its leases' second holders decide (PromptLeases).
  return owned_locked(caller, incarnation).status();
}

std::vector<std::string> RolloutEndpoint::take_forgotten() {
  absl::MutexLock lock(&mu_);
  return std::exchange(forgotten_, {});
}

absl::StatusOr<rv1::HeartbeatAck> RolloutEndpoint::on_heartbeat(const std::string& caller,
                                                                const rv1::Heartbeat& hb) {
  static const std::set<std::string> kActivities = {"decode",         "reward",      "send",
                                                    "weight_receive", "weight_swap", "idle"};
  for (const auto& [k, x] : hb.seconds()) {
    if (kActivities.count(k) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("heartbeat: \"", k.substr(0, 64), "\" is not an activity (docs/metrics.md)"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status st = known_locked(caller, hb.incarnation()); !st.ok()) return st;
  ActorView& v = actors_[hb.incarnation()].view;
  v.weights_version = hb.weights_version();
  v.oldest_version = hb.oldest_version();
  v.running = hb.running();
  for (const auto& [k, x] : hb.seconds()) v.seconds[k] = x;
  rv1::HeartbeatAck r;
  r.set_learner_version(version_);
  r.set_finished(finished_);
  return r;
}

absl::StatusOr<rv1::PromptsReply> RolloutEndpoint::on_prompts(const std::string& caller,
                                                              const rv1::PromptsRequest& req) {
  absl::MutexLock lock(&mu_);
  reap_locked(nullptr);
  if (absl::Status st = known_locked(caller, req.incarnation()); !st.ok()) return st;
  rv1::PromptsReply r;
  r.set_learner_version(version_);
  if (finished_) {
    r.set_finished(true);
    return r;
  }
  for (const Lease& l : leases_->issue(req.incarnation(), req.max(), version_)) {
    rv1::Prompt* p = r.add_prompts();
    p->set_lease(l.lease);
    p->set_step(l.step);
    p->set_seed(l.seed);
    p->set_prompt_id(l.prompt.id);
    p->set_text(l.prompt.text);
    p->set_answer(l.prompt.answer);
    p->set_metadata_json(l.prompt.metadata_json);
  }
  return r;
}

void RolloutEndpoint::set_version(int64_t v) {
  absl::MutexLock lock(&mu_);
  version_ = v;
}

int64_t RolloutEndpoint::version() {
  absl::MutexLock lock(&mu_);
  return version_;
}

void RolloutEndpoint::finish() {
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

LeaseReturn RolloutEndpoint::complete(int64_t lease, const std::string& from, int64_t* step) {
  absl::MutexLock lock(&mu_);
  return leases_->complete(lease, from, step);
}

int64_t RolloutEndpoint::leases_expired() {
  absl::MutexLock lock(&mu_);
  return leases_->expired();
}

bool RolloutEndpoint::refuse(int64_t lease) {
  absl::MutexLock lock(&mu_);
  return leases_->refuse(lease);
}

bool RolloutEndpoint::step_closed(int64_t step) {
  absl::MutexLock lock(&mu_);
  return leases_->step_closed(step);
}

void RolloutEndpoint::trained(int64_t step) {
  absl::MutexLock lock(&mu_);
  leases_->trained(step);
}

void RolloutEndpoint::refill(int64_t step) {
  absl::MutexLock lock(&mu_);
  leases_->refill(step);
}

bool RolloutEndpoint::data_exhausted() {
  absl::MutexLock lock(&mu_);
  return leases_->data_exhausted();
}

std::vector<std::string> RolloutEndpoint::reap() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> lost;
  reap_locked(&lost);
  return lost;
}

std::vector<ActorView> RolloutEndpoint::actors() {
  absl::MutexLock lock(&mu_);
  std::vector<ActorView> out;
  for (const auto& [inc, a] : actors_) out.push_back(a.view);
  return out;
}

int64_t RolloutEndpoint::actors_lost() {
  absl::MutexLock lock(&mu_);
  return lost_;
}

void RolloutEndpoint::leases_snapshot(const std::function<void(const nlohmann::json& leases)>& with) {
  absl::MutexLock lock(&mu_);
  with(leases_->to_json());
}

}  // namespace ascent
