// The learner's data order as prompt leases (proto/rollout.proto, GetPrompts). Every prompt handed to an
// actor is a lease numbered 0, 1, 2, ... over the run, tied to the optimiser step that trains it (P leases
// per step, more when a filtered group is refilled) and carrying the sampling seed of its completions (from
// the run seed and the lease number, so a lease regenerated after a crash samples the same way).
//  - issue() hands out leases for steps <= steps_done + max_lag only: with the actor's rule (start a lease
//    only with weights >= step - max_lag) no trained token is more than max_lag versions old.
//  - A lost holder's open leases are handed out again first (release()), as are leases open longer than a
//    deadline (expire(): a holder that heartbeats but never returns cannot hold a step forever) and leases
//    whose group the learner refused (refuse(), up to kMaxRefusals times); a lease returns once (complete()),
//    and only from an actor it was handed to.
//  - to_json() stores what a resumed run needs: the next lease number, the step being filled, and every lease
//    not yet trained (open or returned-but-untrained), which a resumed run hands out again in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

struct PromptRecord {
  std::string id, text, answer;
  std::string metadata_json = "{}";
  std::string source;  // "file:line" it was read from, for errors ("" when generated or restored)
};

// A prompt record's size bound: it travels to an actor in one gRPC message (4 MiB by default), several to a
// reply, so each of text, answer and metadata together stays under this.
inline constexpr size_t kPromptRecordMaxBytes = size_t{1} << 20;

// The prompts of a run (job/prompt_data.h loads them from the recipe's data section).
struct PromptSet {
  std::vector<PromptRecord> train, validation;
};

struct Lease {
  int64_t lease = 0, step = 0;
  uint64_t seed = 0;
  PromptRecord prompt;
};

// kNotHolder: the lease is open but was never handed to the sender (a stranger's or a forged group).
enum class LeaseReturn { kFirst, kDuplicate, kUnknown, kNotHolder };

class PromptLeases {
 public:
  // next: the next prompt of the data order (an error ends the data: no more fresh leases).
  using NextPrompt = std::function<absl::StatusOr<PromptRecord>()>;
  PromptLeases(int64_t prompts_per_step, int64_t max_lag, uint64_t seed, NextPrompt next);

  // Up to `max` leases for `holder`: handed-back ones first, then fresh ones, for steps <= steps_done +
  // max_lag.
  std::vector<Lease> issue(const std::string& holder, int64_t max, int64_t steps_done);
  // A group for `lease` arrived from `from` (kFirst: count it; kDuplicate: it already came; kUnknown: never
  // issued; kNotHolder: `from` never held it). kFirst: the lease's first return from one of its holders (the
  // present one or one it was taken from: a late group is as good as a new one); `step` (may be null) gets
  // the step it belongs to.
  LeaseReturn complete(int64_t lease, const std::string& from, int64_t* step = nullptr);
  // The learner refused the group of a returned lease (learner/rollout_proto.h): it is handed out again, to
  // anyone, unless it was refused kMaxRefusals times already; then it stays returned (the step goes on
  // without it) and refuse() returns false.
  static constexpr int kMaxRefusals = 3;
  bool refuse(int64_t lease);
  // Open leases handed out more than `timeout_s` seconds ago (this process's steady clock) go back to the
  // queue; returns how many.
  int64_t expire(double timeout_s);
  int64_t expired() const { return expired_; }  // by expire(), since construction
  // The holder is lost: its open leases go back to the front of the queue. Returns how many.
  int64_t release(const std::string& holder);
  // One more lease for `step` (a refill after a filtered group, zero_variance: resample).
  void refill(int64_t step) { refills_.push_back(step); }
  // Leases of `step` issued and not yet returned, and whether more may still be issued for it.
  int64_t open_for_step(int64_t step) const;
  bool step_closed(int64_t step) const;  // every lease of the step is issued and returned
  // The step has been trained: its leases are forgotten.
  void trained(int64_t step);
  bool data_exhausted() const { return exhausted_; }
  int64_t issued() const { return next_lease_; }

  nlohmann::json to_json() const;  // format ascent.prompt_leases.v1
  absl::Status restore(const nlohmann::json& j, const std::string& where);

 private:
  struct Entry {
    Lease lease;
    std::string holder;                // "" while waiting to be handed out (again)
    std::vector<std::string> holders;  // every actor it was handed to (bounded: at most a few re-issues)
    std::chrono::steady_clock::time_point since;  // handed to `holder` at
    int refusals = 0;
    bool returned = false;
  };
  void hand_out(Entry& e, const std::string& holder);
  void queue_again(int64_t lease);
  int64_t per_step_, max_lag_;
  uint64_t seed_;
  NextPrompt next_;
  int64_t next_lease_ = 0, fill_step_ = 0, fill_count_ = 0;
  bool exhausted_ = false;
  int64_t expired_ = 0;
  std::map<int64_t, Entry> live_;  // by lease number: issued, not yet trained
  std::deque<int64_t> again_;      // lease numbers to hand out again, in order
  std::deque<int64_t> refills_;    // steps that get one more lease
};

}  // namespace ascent
