#include "actor/weight_fetcher.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status.h"

namespace ascent {

namespace {
std::optional<LoraAdapters> lora_for(const ActorConfig& cfg, const Model& m, absl::Status* error) {
  if (!cfg.lora) return std::nullopt;
  absl::StatusOr<LoraAdapters> a = lora_create(m, *cfg.lora, 0);  // the values come from the learner
  if (!a.ok()) {
    *error = absl::Status(a.status().code(), absl::StrCat("model.lora: ", a.status().message()));
    return std::nullopt;
  }
  return std::move(*a);
}
}  // namespace

WeightFetcher::WeightFetcher(ActorShared& shared, const ActorConfig& cfg, std::string address, const Model& m)
    : shared_(shared),
      cfg_(cfg),
      address_(std::move(address)),
      lora_(lora_for(cfg, m, &error_)),
      numel_(lora_ ? lora_->size() : static_cast<int64_t>(m.params.size())),
      client_(address_, cfg.credentials, 60),
      staging_(m.params) {}

void WeightFetcher::run(bool once) {
  if (!error_.ok()) {
    shared_.fail(error_);
    return;
  }
  SteadyClock::time_point reachable = SteadyClock::now();
  while (!shared_.done()) {
    auto m = client_.manifest();
    bool busy;
    int64_t have;
    {
      absl::MutexLock lock(&shared_.mu);
      busy = staged_ready_;
      have = std::max(have_version_, staged_version_);
    }
    if (!m.ok() && m.status().code() != absl::StatusCode::kUnavailable) {
      shared_.fail(absl::Status(m.status().code(),
                                absl::StrCat("weights from ", address_, ": ", m.status().message())));
      return;
    }
    if (!m.ok() && seconds_since(reachable) > cfg_.learner_lost_s) {
      shared_.fail(absl::UnavailableError(absl::StrCat("no weights from ", address_, " for ",
                                                       cfg_.learner_lost_s, " s: ", m.status().message())));
      return;
    }
    if (m.ok()) reachable = SteadyClock::now();
    if (m.ok() && m->numel != numel_) {
      shared_.fail(absl::FailedPreconditionError(
          absl::StrCat("the learner's weights have ", m->numel, " parameters, this actor's ",
                       lora_ ? "LoRA adapters " : "model ", numel_,
                       lora_ ? " (the learner and the actor must read the same model.lora)" : "")));
      return;
    }
    if (m.ok() && m->version > have && !busy) {
      receive(*m);
      absl::MutexLock lock(&shared_.mu);
      if (once && staged_ready_) return;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(cfg_.weight_poll_s * 1e6)));
  }
}

void WeightFetcher::receive(const WeightManifest& m) {
  ReceiveStats rs;
  const SteadyClock::time_point t0 = SteadyClock::now();
  // On the learner's host the snapshot is mapped from shared memory; anywhere else (or when the file does
  // not match the manifest) it comes over gRPC. The buckets are checked the same way either way.
  // A mapped file whose data fails its checks is not trusted for this version: gRPC gives it again.
  float* into = lora_ ? lora_->params.data() : staging_.data();
  const BucketFetch grpc = [&](int64_t v, int64_t i) { return client_.bucket(v, i); };
  absl::StatusOr<std::unique_ptr<WeightShmReader>> shm =
      m.shm_path.empty() ? absl::UnavailableError("") : WeightShmReader::open(m);
  absl::Status st;
  if (shm.ok()) {
    st = weights_receive(
        m, [&](int64_t v, int64_t i) { return (*shm)->bucket(v, i); }, into, numel_, 0, &rs);
    if (!st.ok() && st.code() != absl::StatusCode::kNotFound) shm = st;
  }
  if (!shm.ok()) st = weights_receive(m, grpc, into, numel_, 3, &rs);
  // (A transfer cut short leaves the adapters half written; they feed the merge only once a whole version
  // arrived, and every version rewrites all of them.)
  if (st.ok() && lora_) {  // W = W0 + s B A into the staging copy, here rather than on the decode thread
    lora_merge(*lora_, staging_.data());
  }
  if (!st.ok() && st.code() != absl::StatusCode::kNotFound && st.code() != absl::StatusCode::kUnavailable) {
    shared_.fail(st);
    return;
  }
  absl::MutexLock lock(&shared_.mu);
  shared_.stats.buckets_rejected += rs.rejected;
  if (!m.shm_path.empty() && !shm.ok())
    shared_.stats.weight_shm_fallback = std::string(shm.status().message());
  if (st.ok()) {
    if (shm.ok()) shared_.stats.weight_shm_updates++;
    staged_version_ = m.version;
    staged_ready_ = true;
    shared_.stats.weight_receive_s += seconds_since(t0);
    shared_.changed.SignalAll();
  } else if (st.code() == absl::StatusCode::kNotFound) {
    shared_.stats.weight_restarts++;  // a newer version was published meanwhile: start over
  }
}

int64_t WeightFetcher::swap_into(Model& m) {
  absl::MutexLock lock(&shared_.mu);
  if (!staged_ready_) return -1;
  const SteadyClock::time_point t0 = SteadyClock::now();
  const absl::Status swapped = model_swap_params(m, staging_);  // staging_ has the model's size
  ASCENT_CHECK(swapped.ok(), std::string(swapped.message()));
  have_version_ = staged_version_;
  staged_ready_ = false;
  shared_.stats.weight_updates++;
  shared_.stats.version = have_version_;
  shared_.stats.weight_swap_s += seconds_since(t0);
  return have_version_;
}

void WeightFetcher::wait_staged(absl::Duration d) {
  const absl::Time deadline = absl::Now() + d;
  absl::MutexLock lock(&shared_.mu);
  while (!staged_ready_ && !shared_.done() && shared_.wait(deadline)) {
  }
}

}  // namespace ascent
