#include "learner/background_validation.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/threads.h"

namespace ascent {
namespace {

// The calling thread's nice value (Linux keeps one per thread). Only lowering the priority is asked for,
// which needs no privilege; a failure leaves the thread at the process's priority, which is still correct.
void lowest_cpu_priority() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BackgroundValidation>> BackgroundValidation::make(const Model& policy) {
  if (!policy.backend->host_memory()) {
    return absl::FailedPreconditionError(
        "run.validation.background: the learner's engine is on a device; validation beside training runs "
        "on a CPU learner only (set run.validation.background: false)");
  }
  absl::StatusOr<Model> copy = model_create(policy.cfg, DType::kF32);
  if (!copy.ok()) return copy.status();
  return std::unique_ptr<BackgroundValidation>(new BackgroundValidation(std::move(*copy)));
}

BackgroundValidation::~BackgroundValidation() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status BackgroundValidation::start(int64_t step, const Model& policy, Job job) {
  if (busy()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "validation of step ", step, " started while the one of step ", done_.step, " is in flight"));
  }
  if (policy.params.size() != snapshot_.params.size()) {
    return absl::FailedPreconditionError(absl::StrCat("validation: the policy has ", policy.params.size(),
                                                      " parameters, the copy ", snapshot_.params.size()));
  }
  std::copy(policy.params.begin(), policy.params.end(), snapshot_.params.begin());
  finished_ = false;
  cancel_ = false;
  done_ = Done{step, absl::UnknownError("validation did not finish")};
  thread_ = std::thread([this, job = std::move(job)] {
    lowest_cpu_priority();
    threads_use_one();
    done_.result = job(snapshot_, cancel_);
    finished_ = true;
  });
  return absl::OkStatus();
}

void BackgroundValidation::abandon() {
  if (!busy()) return;
  cancel_ = true;
  thread_.join();
}

BackgroundValidation::Done BackgroundValidation::join() {
  thread_.join();
  return std::move(done_);
}

std::optional<BackgroundValidation::Done> BackgroundValidation::poll() {
  if (!busy() || !finished_) return std::nullopt;
  return join();
}

std::optional<BackgroundValidation::Done> BackgroundValidation::wait() {
  if (!busy()) return std::nullopt;
  return join();
}

}  // namespace ascent
