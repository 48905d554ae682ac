// Held-out validation beside training (run.validation.background: true). After a step the learner hands
// over the policy's weights; a thread at the lowest CPU priority (nice 19) validates that exact copy while
// the learner trains on, so a validation runs on the cores that the learner and the actors leave idle (the
// learner waiting for groups, an actor held back by max_lag) instead of stopping every step it falls on.
// The result equals validation_run's on the same weights: the copy is bit-exact and the seeds are the same.
//
// One validation at a time: the next one due waits for the one in flight (the learner's thread is then
// idle, and the validation has that core unless the actors take it). The learner's checkpoints wait for a
// validation of an earlier step; one of the checkpoint's own step runs on, and the run state says so
// (learner/learner_report.cc). Memory: a second copy of the policy's parameters (fp32, host) and the
// validation's KV cache beside training's. The job runs its kernels on one thread (threads_use_one).
// Threads: every member function is called by one thread (the learner's); the job runs on another.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "learner/validation.h"
#include "model/model.h"

namespace ascent {

class BackgroundValidation {
 public:
  // Validates `snapshot` (the copy); returns early with an error once `cancel` is set.
  using Job =
      std::function<absl::StatusOr<ValidationResult>(Model& snapshot, const std::atomic<bool>& cancel)>;
  struct Done {
    int64_t step = 0;  // as given to start()
    absl::StatusOr<ValidationResult> result;
  };

  // Allocates the copy for a model like `policy`. FailedPrecondition when the policy's backend does not
  // run on host memory (a device backend would need the copy there and a stream of its own).
  static absl::StatusOr<std::unique_ptr<BackgroundValidation>> make(const Model& policy);
  BackgroundValidation(const BackgroundValidation&) = delete;
  BackgroundValidation& operator=(const BackgroundValidation&) = delete;
  ~BackgroundValidation();  // cancels the validation in flight and joins its thread

  // Copies policy's parameters (on the caller's thread) and starts `job` on the copy. FailedPrecondition
  // when a validation is in flight (wait() for it first) or policy is not shaped as the copy.
  absl::Status start(int64_t step, const Model& policy, Job job);
  bool busy() const { return thread_.joinable(); }
  int64_t step_in_flight() const { return busy() ? done_.step : -1; }
  void abandon();              // cancels the validation in flight and drops its result
  std::optional<Done> poll();  // the finished validation, without blocking; nullopt when none has finished
  std::optional<Done> wait();  // blocks until the one in flight finishes; nullopt when none is in flight

 private:
  explicit BackgroundValidation(Model snapshot) : snapshot_(std::move(snapshot)) {}
  Done join();

  Model snapshot_;
  std::thread thread_;
  std::atomic<bool> finished_{false}, cancel_{false};
  Done done_;  // written by the thread before finished_, read after join
};

}  // namespace ascent
