// The Learner's reporting phases: validation with the live sigmoid fit, checkpoints, the step's metrics
// (docs/metrics.md) and the closing summary.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/clock.h"
#include "core/status.h"
#include "learner/checkpoint.h"
#include "learner/learner.h"
#include "learner/step_metrics.h"
#include "learner/validation.h"

namespace ascent {

double Learner::wall_s() const {
  return count_.wall_s + seconds_since(t_start_);
}

std::map<std::string, double> Learner::compute_now() const {
  const double wall = wall_s();
  return {{"compute/wall_s", wall},
          {"compute/device_hours", wall * static_cast<double>(processes_) / 3600.0},
          {"compute/tokens", static_cast<double>(count_.tokens)}};
}

void Learner::compute_metrics(std::map<std::string, double>* mm) {
  for (const auto& [k, v] : compute_now()) (*mm)[k] = v;
  if (auth_) {  // calls refused for want of the run's token: counted, and each peer named in the log
    (*mm)["auth/refused"] = static_cast<double>(auth_->refused());
    for (const std::string& line : auth_->take_refusals()) log_->info("refused " + line);
  }
}

absl::Status Learner::start_validation_scorer() {
  const std::string& name = r_.run.validation.scorer;
  if (name == "verifier" || data_.validation.empty()) return absl::OkStatus();
  for (const NamedRemote& nr : r_.rewards.remote) {
    if (nr.name != name) continue;
    validation_scorer_ = std::make_unique<RemoteReward>(nr.options);
    if (absl::Status st = validation_scorer_->start(); !st.ok()) {
      return absl::Status(st.code(),
                          absl::StrCat(r_.file, ": run.validation.scorer \"", name, "\": ", st.message()));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(r_.file, ": run.validation.scorer: no rewards.remote entry is called \"", name, "\""));
}

int64_t Learner::validation_k() const {
  return r_.run.validation.temperature > 0 ? r_.run.validation.samples : 1;  // greedy: one sample is all
}

BackgroundValidation::Job Learner::validation_job() {
  const int64_t k = validation_k();
  SampleJudge judge;
  if (validation_scorer_) {
    judge = [this](const std::vector<RewardInput>& s) { return validation_scorer_->score(s); };
  }
  return [this, k, judge](Model& m, const std::atomic<bool>& cancel) {
    return validation_run(m, data_.validation, validation_decode_, validation_text_, k, r_.seed + 7919, judge,
                          &cancel);
  };
}

absl::Status Learner::validate(int64_t step, std::map<std::string, double>* mm) {
  if (data_.validation.empty()) return absl::OkStatus();
  if (bg_val_ != nullptr) {
    double waited = 0;
    ASCENT_RETURN_IF_ERROR(finish_validation(&waited));
    if (waited > 0) (*mm)["time/validation_wait_s"] = waited;
    bg_compute_ = compute_now();  // the compute that made the weights it validates
    return bg_val_->start(step, m_, validation_job());
  }
  const std::atomic<bool> never{false};
  ASCENT_ASSIGN_OR_RETURN(ValidationResult v, validation_job()(m_, never));
  report_validation(step, v, wall_s(), mm);
  return absl::OkStatus();
}

absl::Status Learner::report_background(BackgroundValidation::Done done) {
  if (!done.result.ok()) {
    return absl::Status(done.result.status().code(), absl::StrCat("the validation of step ", done.step, ": ",
                                                                  done.result.status().message()));
  }
  std::map<std::string, double> row = bg_compute_;
  report_validation(done.step, *done.result, row["compute/wall_s"], &row);
  return log_->validation_metrics(done.step, row);
}

absl::Status Learner::poll_validation() {
  if (bg_val_ == nullptr) return absl::OkStatus();
  std::optional<BackgroundValidation::Done> done = bg_val_->poll();
  return done ? report_background(std::move(*done)) : absl::OkStatus();
}

absl::Status Learner::finish_validation(double* waited_s) {
  *waited_s = 0;
  if (bg_val_ == nullptr || !bg_val_->busy()) return absl::OkStatus();
  const SteadyClock::time_point t0 = SteadyClock::now();
  std::optional<BackgroundValidation::Done> done = bg_val_->wait();
  *waited_s = seconds_since(t0);
  return done ? report_background(std::move(*done)) : absl::OkStatus();
}

void Learner::report_validation(int64_t step, const ValidationResult& v, double wall,
                                std::map<std::string, double>* mm) {
  if (v.unscored > 0) {
    (*mm)["val/unscored"] = static_cast<double>(v.unscored);
    log_->info(
        absl::StrFormat("step %d: validation: %d of %d samples could not be scored (counted as wrong): %s",
                        step, v.unscored, v.samples, v.first_error));
  }
  last_val_ = v.pass_rate;
  last_val_step_ = step;
  (*mm)["val/pass_rate"] = v.pass_rate;
  (*mm)["val/samples"] = static_cast<double>(v.samples);
  (*mm)["time/validation_s"] = v.seconds;
  const double compute = wall * static_cast<double>(processes_) / 3600.0;
  // Loud when the run leaves its curve: a validation outside the interval the fit so far expects here.
  if (auto e = live_.expected_at(compute); e.ok()) {
    const bool off = v.pass_rate < e->lo || v.pass_rate > e->hi;
    (*mm)["fit/off_curve"] = off ? 1.0 : 0.0;
    if (off) {
      log_->info(absl::StrFormat(
          "step %d: WARNING: the validation pass rate %.3f is %s the %.3f [%.3f, %.3f] the fit of the %d "
          "validations so far expects here: the run has left its curve%s",
          step, v.pass_rate, v.pass_rate < e->lo ? "below" : "above", e->value, e->lo, e->hi,
          live_.points().C.size(), v.pass_rate < e->lo ? " (a collapse? see the loss and entropy)" : ""));
    }
  }
  live_.add(compute, v.pass_rate, static_cast<double>(v.samples));
  std::string fit_text;
  // The run's end at this pace: the compute so far times run.steps / step.
  const double end_c = step > 0 ? compute * static_cast<double>(r_.run.steps) / static_cast<double>(step) : 0;
  if (auto f = live_.refit(end_c); f.ok()) {
    (*mm)["fit/A"] = f->A.value, (*mm)["fit/A_lo"] = f->A.lo, (*mm)["fit/A_hi"] = f->A.hi;
    (*mm)["fit/B"] = f->B.value, (*mm)["fit/C_mid"] = f->C_mid.value;
    (*mm)["fit/C_mid_lo"] = f->C_mid.lo, (*mm)["fit/C_mid_hi"] = f->C_mid.hi;
    fit_text =
        absl::StrFormat("; live fit A %.3f [%.3f, %.3f], B %.2f, C_mid %.3g [%.3g, %.3g] device-hours",
                        f->A.value, f->A.lo, f->A.hi, f->B.value, f->C_mid.value, f->C_mid.lo, f->C_mid.hi);
    if (!f->predictions.empty()) {
      const Interval& p = f->predictions[0];
      (*mm)["fit/pred"] = p.value, (*mm)["fit/pred_lo"] = p.lo, (*mm)["fit/pred_hi"] = p.hi;
      (*mm)["fit/pinned"] = f->unpinned[0].empty() ? 1.0 : 0.0;
      absl::StrAppend(
          &fit_text,
          f->unpinned[0].empty()
              ? absl::StrFormat("; at step %d: %.3f [%.3f, %.3f]", r_.run.steps, p.value, p.lo, p.hi)
              : absl::StrFormat("; step %d not pinned yet [%.3f, %.3f]", r_.run.steps, p.lo, p.hi));
    }
  }
  log_->info(absl::StrFormat("step %d: validation pass rate %.3f on %d prompts (%.1f s)", step, v.pass_rate,
                             v.prompts, v.seconds) +
             fit_text);
}

absl::Status Learner::checkpoint(int64_t next_step) {
  // The run state holds every validation of an earlier step: one in flight is waited for. One of this very
  // step runs on, and the state marks it pending: a resume from here validates the checkpoint's weights,
  // which are the ones it validates, again (same seeds, same result), so none is repeated or lost.
  const bool pending = bg_val_ != nullptr && bg_val_->step_in_flight() == next_step;
  if (double waited = 0; !pending) {
    ASCENT_RETURN_IF_ERROR(finish_validation(&waited));
    if (waited > 0.05) {
      log_->info(absl::StrFormat("checkpoint of step %d: waited %.1f s for the validation in flight",
                                 next_step, waited));
    }
  }
  nlohmann::json st = {{"format", "ascent.run_state.v1"},
                       {"step", next_step},
                       {"hero", hero_state_to_json(hero_)},
                       {"fit_points", nlohmann::json::array()}};
  if (models_.lora) st["lora_base"] = lora_base_fingerprint(*models_.lora);  // checked on resume
  if (pending) st["validation_pending"] = true;
  // The leases and the data order that issues them, at one moment (no lease is issued in between).
  endpoint_->leases_snapshot([&](const nlohmann::json& leases) {
    absl::MutexLock lock(&data_mu_);
    st["leases"] = leases;
    st["sampler"] = sampler_->serialize();
    st["history"] = history_.serialize();
  });
  // Groups held for later steps are not in the checkpoint (a resumed run generates them again): they are not
  // counted as generated yet.
  GroupCounters c = count_;
  c.wall_s = wall_s();
  for (const auto& [s, v] : pending_) {
    c.generated -= static_cast<int64_t>(v.size());
    for (const rollout::v1::Group& g : v)
      for (const auto& x : g.completions()) c.tokens -= x.tokens_size();
  }
  st["counters"] = c.to_json();
  for (size_t i = 0; i < live_.points().C.size(); ++i)
    st["fit_points"].push_back({live_.points().C[i], live_.points().R[i], live_.points().N[i]});
  // The AdamW state as a whole: with ZeRO-1 every rank sends its shard (the others are told to).
  if (opt_.zero_stage() == 1 && coll_.size() > 1) {
    rollout::v1::TrainBatch tb;
    tb.set_gather_optimizer(true);
    std::string bytes = tb.SerializeAsString();
    coll_.broadcast(&bytes, 0);
  }
  const AdamWState full = opt_.gather_full();
  ASCENT_RETURN_IF_ERROR(
      checkpoint_save(run_dir_, next_step, m_, models_.lora, full, st, r_.run.checkpoint_keep));
  last_checkpoint_step_ = next_step;
  return absl::OkStatus();
}

std::map<std::string, double> Learner::step_metrics(int64_t step, const RolloutBatch& rb,
                                                    int64_t groups_before, const StepGradient& grad,
                                                    double grad_norm) {
  LossResult lr;
  lr.loss = grad.loss;
  lr.stats = grad.stats;
  std::map<std::string, double> mm = step_metrics_compute({&lr, &rb, groups_before, step, nullptr});
  if (grad.tokens > 0) mm["policy/entropy"] = grad.entropy_mean;
  mm["optim/grad_norm"] = grad_norm;
  mm["optim/lr"] = lr_schedule_at(r_.optimizer.schedule, step + 1);
  double correct = 0, completions = 0;
  for (const PromptGroup& g : rb.groups)
    for (const Rollout& c : g.completions) correct += c.correct, completions += 1;
  mm["batch/pass_rate"] = completions > 0 ? correct / completions : 0;
  mm["groups/generated"] = static_cast<double>(count_.generated);
  mm["groups/trained"] = static_cast<double>(count_.trained);
  mm["groups/filtered"] = static_cast<double>(count_.filtered);
  mm["groups/dropped_duplicate"] = static_cast<double>(count_.dropped_duplicate);
  mm["groups/dropped_reward"] = static_cast<double>(count_.dropped_reward);
  mm["groups/dropped_invalid"] = static_cast<double>(count_.dropped_invalid);
  mm["groups/dropped_not_holder"] = static_cast<double>(count_.dropped_not_holder);
  mm["leases/given_up"] = static_cast<double>(count_.leases_given_up);
  mm["leases/expired"] = static_cast<double>(endpoint_->leases_expired());
  int64_t held = 0;
  for (const auto& [s, v] : pending_) held += static_cast<int64_t>(v.size());
  mm["groups/held"] = static_cast<double>(held);  // received for later steps
  mm["learner/ranks"] = coll_.size();
  mm["completions/dropped_reward"] = static_cast<double>(count_.completions_dropped_reward);
  if (r_.rewards.hero) mm["hero/sigma_bar"] = hero_.sigma_bar;
  int64_t live_actors = 0;
  std::map<std::string, double> actor_s;
  for (const ActorView& a : endpoint_->actors()) {
    live_actors += !a.lost;
    for (const auto& [k, v] : a.seconds) actor_s[k] += v;
  }
  mm["actors/live"] = static_cast<double>(live_actors);
  mm["actors/lost"] = static_cast<double>(endpoint_->actors_lost());
  for (const auto& [k, v] : actor_s) mm["actors/" + k + "_s"] = v;
  return mm;
}

void Learner::summary() {
  if (live_.points().R.size() >= 2) {
    const double r0 = live_.points().R.front(), r1 = live_.points().R.back();
    log_->info(absl::StrFormat(
        "held-out pass rate: %.3f at the start, %.3f at the last validation (step %d): %+.1f points", r0, r1,
        last_val_step_, 100 * (r1 - r0)));
  }
  if (auto f = live_.refit(0); f.ok()) {
    log_->info(absl::StrFormat(
        "live sigmoid fit over %d validations: A = %.3f [%.3f, %.3f], B = %.2f, C_mid = %.3g device-hours "
        "[%.3g, %.3g], R0 = %.3f",
        live_.points().C.size(), f->A.value, f->A.lo, f->A.hi, f->B.value, f->C_mid.value, f->C_mid.lo,
        f->C_mid.hi, f->R0.value));
  } else {
    log_->info(absl::StrCat("live sigmoid fit: ", f.status().message()));
  }
}

}  // namespace ascent
