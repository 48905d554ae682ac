#include "learner/learner.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/clock.h"
#include "core/run_secret.h"
#include "core/status.h"
#include "learner/checkpoint.h"
#include "learner/filters.h"
#include "learner/learner_run.h"
#include "learner/rollout_proto.h"
#include "learner/step_metrics.h"
#include "learner/validation.h"
#include "transport/tls.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;
namespace rv1 = rollout::v1;
using Clock = SteadyClock;

std::string eta_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s);
  return t >= 3600 ? absl::StrFormat("%dh%02dm", t / 3600, t / 60 % 60)
                   : absl::StrFormat("%dm%02ds", t / 60, t % 60);
}

}  // namespace

nlohmann::json GroupCounters::to_json() const {
  return {{"generated", generated},
          {"trained", trained},
          {"filtered", filtered},
          {"dropped_duplicate", dropped_duplicate},
          {"dropped_reward", dropped_reward},
          {"dropped_invalid", dropped_invalid},
          {"dropped_not_holder", dropped_not_holder},
          {"leases_given_up", leases_given_up},
          {"completions_dropped_reward", completions_dropped_reward},
          {"tokens", tokens},
          {"wall_s", wall_s}};
}

void GroupCounters::from_json(const nlohmann::json& j) {
  generated = j.at("generated"), trained = j.at("trained"), filtered = j.at("filtered");
  dropped_duplicate = j.at("dropped_duplicate"), dropped_reward = j.at("dropped_reward");
  dropped_invalid = j.value("dropped_invalid", int64_t{0});  // absent in checkpoints before it existed
  dropped_not_holder = j.value("dropped_not_holder", int64_t{0});
  leases_given_up = j.value("leases_given_up", int64_t{0});
  completions_dropped_reward = j.at("completions_dropped_reward"), tokens = j.at("tokens");
  wall_s = j.at("wall_s");
}

namespace {

// run.validation.fit_c_min as a number (the recipe checked it: "auto" or a compute >= 0).
FitOptions live_fit_options(const ValidationConfig& v) {
  FitOptions opt;
  if (v.fit_c_min != "auto" && !absl::SimpleAtod(v.fit_c_min, &opt.c_min)) opt.c_min = 0;
  return opt;
}

}  // namespace

Learner::Learner(const LearnerConfig& r, const PromptSet& prompts, const LearnerOptions& o, Collective& coll,
                 LearnerModels models, LearnerOptimizer& opt, ResumePoint resume)
    : r_(r),
      data_(prompts),
      o_(o),
      coll_(coll),
      models_(models),
      m_(models.policy),
      opt_(opt),
      resume_(std::move(resume)),
      run_dir_(learner_run_dir(r)),
      history_(r.algorithm.npr_threshold),
      live_(live_fit_options(r.run.validation), 200, r.run.validation.fit_c_min == "auto") {}

absl::Status Learner::start() {
  const std::string where = resume_.dir + "/state.json";
  // A field of the wrong type or a missing one is the checkpoint's fault: an error naming the file, never an
  // uncaught exception (the manifest vouches for the bytes, not for a writer that got them wrong).
  try {
    ASCENT_RETURN_IF_ERROR(restore_and_lease(where));
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(where, ": ", e.what()));
  }
  return start_services();
}

absl::Status Learner::restore_and_lease(const std::string& where) {
  const AlgoConfig& algo = r_.algorithm;
  const bool resumed = !resume_.dir.empty();
  std::vector<std::string> ids;
  for (size_t i = 0; i < data_.train.size(); ++i)
    by_id_[data_.train[i].id] = i, ids.push_back(data_.train[i].id);
  {
    absl::MutexLock lock(&data_mu_);
    if (resumed) {
      ASCENT_ASSIGN_OR_RETURN(history_,
                              PassRateHistory::parse(resume_.state.at("history").get<std::string>(), where));
    }
    sampler_ =
        std::make_unique<PromptSampler>(ids, r_.seed, algo.no_positive_resampling ? &history_ : nullptr);
    if (resumed)
      ASCENT_RETURN_IF_ERROR(sampler_->restore(resume_.state.at("sampler").get<std::string>(), where));
  }
  // Called by PromptLeases under the endpoint's lock, on RolloutService threads.
  leases_ = std::make_unique<PromptLeases>(algo.prompts_per_step, algo.max_lag, r_.seed,
                                           [this]() -> absl::StatusOr<PromptRecord> {
                                             absl::MutexLock lock(&data_mu_);
                                             ASCENT_ASSIGN_OR_RETURN(std::string id, sampler_->next());
                                             return data_.train[by_id_.at(id)];
                                           });
  if (resumed) {
    ASCENT_RETURN_IF_ERROR(leases_->restore(resume_.state.at("leases"), where));
    ASCENT_ASSIGN_OR_RETURN(hero_, hero_state_from_json(resume_.state.at("hero"), where));
    count_.from_json(resume_.state.at("counters"));
    for (const auto& p : resume_.state.at("fit_points"))
      live_.add(p[0].get<double>(), p[1].get<double>(), p.size() > 2 ? p[2].get<double>() : 0.0);
  }
  return absl::OkStatus();
}

// Every prompt of the data, rendered and tokenised once at the start: one that is empty or longer than
// generation.prompt_max_tokens is an error naming its file:line now, not an actor that dies on it mid-run.
absl::Status Learner::check_prompts() {
  const Clock::time_point t0 = Clock::now();
  for (const std::vector<PromptRecord>* set : {&data_.train, &data_.validation}) {
    for (const PromptRecord& p : *set) {
      absl::StatusOr<std::vector<int32_t>> ids = validation_text_.encode(p.text);
      absl::Status st = ids.status();
      if (st.ok() && ids->empty()) st = absl::InvalidArgumentError("the prompt renders to no tokens");
      if (!st.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(p.source.empty() ? absl::StrCat("prompt ", p.id) : p.source, ": ", st.message(),
                         set == &data_.train ? "" : " (a held-out prompt)"));
      }
    }
  }
  if (const double s = seconds_between(t0, Clock::now()); s > 5)  // before the run's log exists
    std::fprintf(stderr, "ascent: checked %zu prompts against generation.prompt_max_tokens in %.1f s\n",
                 data_.train.size() + data_.validation.size(), s);
  return absl::OkStatus();
}

std::string Learner::advertised_host() const {
  if (!r_.run.advertise.empty()) return r_.run.advertise;
  if (r_.run.bind != "0.0.0.0" && r_.run.bind != "::") return r_.run.bind;
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}

// Credentials always; TLS once the ports leave loopback (run.tls's files, else a per-run CA in <run dir>/tls/
// whose server certificate names kRunCaServerName, wherever the learner runs). The largest message a port takes is what a group of this recipe can be.
absl::StatusOr<ServerSecurity> Learner::server_security() {
  ASCENT_ASSIGN_OR_RETURN(std::string secret, run_secret_get(run_dir_, /*create=*/true));
  auth_ = std::make_unique<ServerAuth>(std::move(secret));
  ServerSecurity s;
  s.auth = auth_.get();
  if (!r_.run.tls_cert.empty()) {
    s.tls = TlsFiles{r_.run.tls_ca, r_.run.tls_cert, r_.run.tls_key};
  } else if (!address_is_loopback(r_.run.bind)) {  // kept when `ascent launch` made it before the job ran
    ASCENT_ASSIGN_OR_RETURN(s.tls, tls_make_run_ca((fs::path(run_dir_) / "tls").string(), {}));
  }
  // A token costs at most 5 (id) + 4 (log-prob) + 10 (version) + 1 (forced) bytes on the wire; a completion's
  // strings (finish reason, components, a reward error cut at 4 KiB by the actor) stay well under 64 KiB.
  const int64_t tokens =
      r_.generation.prompt_max_tokens + r_.generation.max_tokens + r_.generation.solution_tokens + 256;
  const int64_t group_bytes = r_.algorithm.group_size * (tokens * 20 + (64 << 10)) + (1 << 20);
  s.max_receive_bytes = std::clamp<int64_t>(group_bytes, 4 << 20, int64_t{1} << 30);
  s.max_threads = static_cast<int>(std::min<int64_t>(64 + 4 * r_.run.actors, 4096));
  return s;
}

absl::Status Learner::start_services() {
  const AlgoConfig& algo = r_.algorithm;
  const bool resumed = !resume_.dir.empty();

  // Validation decodes as the actors do, on the learner's weights, at the validation temperature. The data is
  // checked with it before anything of the run is written (a bad prompt leaves no half-started run behind).
  ASCENT_ASSIGN_OR_RETURN(codec_, TextCodec::for_model_dir(r_.model_path));
  auto decode = decode_settings_make(r_.generation, m_, codec_.get());
  if (!decode.ok()) return absl::InvalidArgumentError(absl::StrCat(r_.file, ": ", decode.status().message()));
  validation_decode_ = std::move(*decode);
  validation_decode_.sampler.temperature = static_cast<float>(r_.run.validation.temperature);
  if (r_.run.validation.max_tokens > 0) validation_decode_.max_tokens = r_.run.validation.max_tokens;
  validation_decode_.max_len =
      std::max(validation_decode_.max_len, r_.generation.prompt_max_tokens + validation_decode_.max_tokens);
  validation_text_ = prompt_text_make(codec_.get(), r_.generation);
  ASCENT_RETURN_IF_ERROR(check_prompts());

  // Services: weights first (the rollout endpoint tells actors where they are).
  publisher_ = std::make_unique<WeightPublisher>(
      r_.run.weight_bucket_mb << 20,
      // LoRA's adapters go in fp32 whatever run.weight_dtype says: they are small, and so the actors merge
      // exactly the learner's W0 + s B A (bf16 adapters would make the sampler's policy differ).
      r_.run.weight_dtype == "bf16" && models_.lora == nullptr ? WireDType::kBF16 : WireDType::kF32,
      r_.run.weight_shm ? kWeightShmDir : "");
  publisher_->publish(resume_.step, models_.trained(), models_.trained_count());  // LoRA: the adapters
  ASCENT_ASSIGN_OR_RETURN(ServerSecurity security, server_security());
  const std::string bind = r_.run.bind.find(':') != std::string::npos ? "[" + r_.run.bind + "]" : r_.run.bind;
  weight_server_ = std::make_unique<WeightServer>(publisher_.get(), absl::StrCat(bind, ":0"), security);
  if (!weight_server_->error().ok()) return weight_server_->error();
  endpoint_cfg_.weights_port = weight_server_->port();
  endpoint_cfg_.lost_after_s = o_.lost_after_s;
  endpoint_cfg_.lease_timeout_s = r_.run.lease_timeout_s;
  endpoint_ = std::make_unique<RolloutEndpoint>(endpoint_cfg_, leases_.get());
  endpoint_->set_version(resume_.step);
  inbox_ = std::make_unique<GroupInbox>(static_cast<size_t>(algo.prompts_per_step * (algo.max_lag + 2) + 16));
  const int64_t port = o_.port >= 0 ? o_.port : r_.run.port;
  server_ =
      std::make_unique<RolloutServer>(inbox_.get(), endpoint_.get(), absl::StrCat(bind, ":", port), security);
  if (server_->port() <= 0 || weight_server_->port() <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", bind, ":", port, ": ", server_->error().message()));
  }

  // A checkpoint taken while the validation of its own step ran marks it pending: validated again below.
  const bool revalidate = resumed && resume_.state.value("validation_pending", false);
  ASCENT_ASSIGN_OR_RETURN(log_, RunLog::open(run_dir_, r_, resume_.step, o_.progress, revalidate));
  const std::string host = advertised_host();
  ASCENT_RETURN_IF_ERROR(log_->write_address(
      absl::StrCat(host.find(':') != std::string::npos ? "[" + host + "]" : host, ":", server_->port())));
  log_->info(
      absl::StrCat("learner listening on ", r_.run.bind, " port ", server_->port(), " (weights ",
                   weight_server_->port(), "; ", security.tls.cert.empty() ? "token" : "TLS + token", "), ",
                   data_.train.size(), " training prompts, ", data_.validation.size(), " held out",
                   resumed ? absl::StrCat(", resumed at step ", resume_.step, " from ", resume_.dir) : ""));
  report_weight_shm();

  ASCENT_RETURN_IF_ERROR(start_validation_scorer());
  processes_ = o_.processes > 0 ? o_.processes : r_.run.actors + r_.run.learner_ranks;
  t_start_ = Clock::now();

  if (r_.run.validation.background && !data_.validation.empty()) {
    ASCENT_ASSIGN_OR_RETURN(bg_val_, BackgroundValidation::make(m_));
    // What would fail the first validation fails the start instead (not a step later, from its thread).
    ASCENT_RETURN_IF_ERROR(validation_check_fits(m_.cfg, validation_decode_, validation_k()));
  }
  if (revalidate) {
    log_->info(absl::StrCat("step ", resume_.step,
                            ": its validation was running at the checkpoint; validating the "
                            "checkpoint's weights again"));
  }
  if (resume_.step == 0 || revalidate) {  // in the background, the validation's row is its own
    std::map<std::string, double> mm;
    ASCENT_RETURN_IF_ERROR(validate(resume_.step, &mm));
    if (bg_val_ == nullptr) {
      compute_metrics(&mm);
      ASCENT_RETURN_IF_ERROR(log_->metrics(resume_.step, mm));
    }
  }
  return absl::OkStatus();
}

absl::Status Learner::run() {
  absl::Status result;
  int64_t step = resume_.step;
  for (; step < r_.run.steps; ++step) {
    absl::StatusOr<bool> go_on = step_once(step);
    if (!go_on.ok()) result = go_on.status();
    if (!go_on.ok() || !*go_on) break;
  }
  // The end (or Ctrl-C, or an error): a checkpoint of the last finished step if it has none, the actors told.
  // (A periodic checkpoint of this very step is kept as it is: saving it again would replace a whole
  // checkpoint, which a second Ctrl-C could cut short.)
  if (step < r_.run.steps && step > resume_.step && result.ok()) {
    absl::Status saved = step == last_checkpoint_step_ ? absl::OkStatus() : checkpoint(step);
    if (saved.ok()) {
      log_->info(absl::StrCat("stopped: checkpoint at step ", step));
    } else {  // a full disk at the stop: said, and the run's exit says it too
      log_->info(absl::StrCat("stopped WITHOUT a checkpoint of step ", step, ": ", saved.message(),
                              "; a resume starts from the newest checkpoint that verifies"));
      result = saved;
    }
  }
  if (double waited = 0; result.ok()) {
    if (o_.stop != nullptr && *o_.stop && bg_val_ != nullptr && bg_val_->busy()) {
      // Stopped (Ctrl-C, a scheduler): what runs is the validation of the newest checkpoint's step (every
      // checkpoint waits for earlier ones), marked pending there; the resume validates it, nobody waits now.
      log_->info(absl::StrCat("stopped: the validation of step ", bg_val_->step_in_flight(),
                              " is left to the resume"));
      bg_val_->abandon();
    } else {
      result = finish_validation(&waited);  // the last one, when no checkpoint waited for it
    }
  }
  endpoint_->finish();
  if (coll_.size() > 1) {
    rv1::TrainBatch tb;
    tb.set_stop(true);
    std::string bytes = tb.SerializeAsString();
    coll_.broadcast(&bytes, 0);
  }
  log_->finish();
  // Actors learn that the run is over from their next heartbeat.
  std::this_thread::sleep_for(
      std::chrono::milliseconds(static_cast<int64_t>(endpoint_cfg_.heartbeat_s * 1500)));
  if (!result.ok()) return result;
  summary();
  return absl::OkStatus();
}

absl::StatusOr<bool> Learner::step_once(int64_t step) {
  const Clock::time_point t0 = Clock::now();
  const int64_t tokens0 = count_.tokens;
  step_leases_.clear(), step_prompts_.clear();
  RolloutBatch rb;
  int64_t groups_before = 0;
  ASCENT_ASSIGN_OR_RETURN(bool collected, assemble(step, &rb, &groups_before));
  if (!collected) return false;
  if (groups_before == 0 && endpoint_->data_exhausted()) {
    // Nothing came for this step and nothing more will: every prompt is retired (No-Positive-Resampling) or
    // the data ended. The run stops here with a checkpoint instead of stepping on empty batches.
    log_->info(absl::StrCat("step ", step,
                            ": no prompts left (every one retired by No-Positive-Resampling, "
                            "or the data set ended): the run stops"));
    return false;
  }
  const Clock::time_point t_batch = Clock::now();
  double grad_norm = 0;
  StepGradient grad;
  if (!rb.groups.empty()) {
    ASCENT_ASSIGN_OR_RETURN(grad, optimise(step, rb, &grad_norm));
    std::string warning;
    absl::Status go_on =
        guard_.after_step(step, grad_norm, opt_.params_finite(), last_checkpoint_step_, &warning);
    if (!warning.empty()) log_->info(warning);
    ASCENT_RETURN_IF_ERROR(go_on);
  } else {
    log_->info(absl::StrCat("step ", step, ": every group was filtered; no update"));
  }
  const Clock::time_point t_grad = Clock::now();
  publish(step, rb);
  const Clock::time_point t_pub = Clock::now();

  std::map<std::string, double> mm = step_metrics(step, rb, groups_before, grad, grad_norm);
  mm["optim/skipped_steps"] = static_cast<double>(guard_.skipped());
  mm["time/wait_s"] = seconds_between(t0, t_batch);
  mm["time/learner_s"] = seconds_between(t_batch, t_grad);
  mm["time/publish_s"] = seconds_between(t_grad, t_pub);
  mm["weights/published_bytes"] = static_cast<double>(publisher_->published_bytes());
  if (const Model* ref = models_.reference) {  // inside time/learner_s
    mm["time/reference_s"] = grad.reference_s;
    mm["memory/reference_bytes"] = static_cast<double>(ref->params.size() * sizeof(float));
  }
  const double step_s = seconds_between(t0, Clock::now());
  mm["time/step_s"] = step_s;
  mm["perf/tokens_per_s"] = step_s > 0 ? static_cast<double>(count_.tokens - tokens0) / step_s : 0;
  const bool last = step + 1 == r_.run.steps;
  const ValidationConfig& vc = r_.run.validation;
  ASCENT_RETURN_IF_ERROR(poll_validation());
  if (last || (vc.every > 0 && (step + 1) % vc.every == 0)) ASCENT_RETURN_IF_ERROR(validate(step + 1, &mm));
  compute_metrics(&mm);
  ASCENT_RETURN_IF_ERROR(log_->metrics(step + 1, mm));
  ASCENT_RETURN_IF_ERROR(log_->leases(step + 1, step_leases_, step_prompts_));
  step_s_avg_ = step_s_avg_ == 0 ? step_s : 0.8 * step_s_avg_ + 0.2 * step_s;
  log_->progress(absl::StrFormat(
      "step %d/%d | reward %.3f | pass %.2f | val %s | %.0f tok/s | lag %.1f | ETA %s", step + 1,
      r_.run.steps, mm["batch/reward_mean"], mm["batch/pass_rate"],
      std::isnan(last_val_) ? "-" : absl::StrFormat("%.3f", last_val_), mm["perf/tokens_per_s"],
      mm["lag/mean"], eta_text(step_s_avg_ * static_cast<double>(r_.run.steps - step - 1))));
  if (last || (r_.run.checkpoint_every > 0 && (step + 1) % r_.run.checkpoint_every == 0)) {
    const Clock::time_point tc = Clock::now();
    ASCENT_RETURN_IF_ERROR(checkpoint(step + 1));
    log_->info(
        absl::StrFormat("checkpoint at step %d (%.2f s)", step + 1, seconds_between(tc, Clock::now())));
  }
  return true;
}

// ---- collect and filter ----

// A group from the inbox: its lease's first return, checked at the edge (a bad group is refused: logged,
// counted, never trained on), filed under its lease's step.
void Learner::receive(int timeout_ms) {
  rv1::Group g;
  if (!inbox_->take(&g, timeout_ms)) return;
  int64_t step = -1;
  const LeaseReturn ret = endpoint_->complete(g.lease(), g.incarnation(), &step);
  if (ret == LeaseReturn::kNotHolder) ++count_.dropped_not_holder;
  if (ret != LeaseReturn::kFirst) {
    if (ret != LeaseReturn::kNotHolder) ++count_.dropped_duplicate;
    return;
  }
  GroupLimits lim;
  lim.vocab_size = m_.cfg.vocab_size;
  lim.max_completions = r_.algorithm.group_size;
  lim.max_sequence_tokens = m_.cfg.max_position_embeddings;
  lim.max_version = endpoint_->version();
  lim.max_turns = r_.generation.tools.on() ? r_.generation.tools.max_turns : 1;
  absl::Status valid = rollout_group_validate(g, lim);
  if (valid.ok() && g.step() != step) {
    valid = absl::InvalidArgumentError(absl::StrCat("lease ", g.lease(), ": the group says step ", g.step(),
                                                    ", its lease is of step ", step));
  }
  if (!valid.ok()) {
    // Never trained on; its lease is handed out again (to anyone), up to PromptLeases::kMaxRefusals times.
    ++count_.dropped_invalid;
    const bool again = endpoint_->refuse(g.lease());
    if (!again) ++count_.leases_given_up;
    log_->info(absl::StrCat("refused a group from ", g.incarnation(), ": ", valid.message(),
                            again ? "; its lease is handed out again"
                                  : "; its lease was refused too often and is given up (the step goes on "
                                    "without it)"));
    return;
  }
  ++count_.generated;
  for (const auto& c : g.completions()) count_.tokens += c.tokens_size();
  pending_[step].push_back(std::move(g));
}

absl::StatusOr<bool> Learner::collect(int64_t step, std::vector<rv1::Group>* groups) {
  const Clock::time_point waiting = Clock::now();
  bool told = false;
  const auto stopped = [this] { return o_.stop != nullptr && *o_.stop; };
  while (!endpoint_->step_closed(step) && !stopped()) {
    receive(100);
    endpoint_->reap();
    if (!told && seconds_between(waiting, Clock::now()) > 30) {
      log_->info(absl::StrCat("step ", step, ": waiting for actors (", endpoint_->actors().size(),
                              " registered, ", endpoint_->actors_lost(), " lost)"));
      told = true;
    }
  }
  if (stopped()) return false;
  *groups = std::move(pending_[step]);
  pending_.erase(step);
  std::sort(groups->begin(), groups->end(),
            [](const rv1::Group& a, const rv1::Group& b) { return a.lease() < b.lease(); });
  for (const rv1::Group& g : *groups)
    step_leases_.push_back(g.lease()), step_prompts_.push_back(g.prompt_id());
  return true;
}

// Appends the step's usable groups to rb; returns how many the zero-variance filter dropped. `received`
// counts the groups that had two or more scored completions (before the filter).
int64_t Learner::filter(int64_t step, std::vector<rv1::Group> groups, RolloutBatch* rb, int64_t* received) {
  const AlgoConfig& algo = r_.algorithm;
  RolloutBatch got;
  std::vector<double> sigma;
  std::vector<size_t> sigma_of;
  for (const rv1::Group& g : groups) {
    int64_t dropped = 0;
    PromptGroup pg = prompt_group_from_proto(g, &dropped);
    count_.completions_dropped_reward += dropped;
    if (pg.completions.size() < 2) {
      ++count_.dropped_reward;
      continue;
    }
    if (algo.no_positive_resampling) {
      absl::MutexLock lock(&data_mu_);
      history_.record(pg.prompt_id, group_pass_rate(pg), step);
    }
    if (g.has_hero_sigma()) sigma.push_back(g.hero_sigma()), sigma_of.push_back(got.groups.size());
    got.groups.push_back(std::move(pg));
  }
  if (r_.rewards.hero && r_.rewards.hero->weighting && !sigma.empty()) {
    const std::vector<double> w = hero_weights_update(*r_.rewards.hero, &hero_, sigma);
    for (size_t i = 0; i < w.size(); ++i) got.groups[sigma_of[i]].weight = w[i];
  }
  if (algo.overlong_shaping)
    apply_overlong_shaping(&got, algo.overlong_max_tokens, algo.overlong_cache_tokens);
  *received += static_cast<int64_t>(got.groups.size());
  int64_t filtered = 0;
  if (algo.zero_variance != ZeroVarianceMode::kOff) filtered = filter_zero_variance(&got);
  count_.filtered += filtered;
  for (PromptGroup& g : got.groups) rb->groups.push_back(std::move(g));
  return filtered;
}

// collect + filter until the step's batch is complete: with zero_variance resample (DAPO dynamic sampling),
// filtered groups are refilled with new leases of the same step, up to 4 x prompts_per_step refills.
absl::StatusOr<bool> Learner::assemble(int64_t step, RolloutBatch* rb, int64_t* groups_before) {
  const AlgoConfig& algo = r_.algorithm;
  int64_t refills = 0;
  while (true) {
    std::vector<rv1::Group> groups;
    ASCENT_ASSIGN_OR_RETURN(bool collected, collect(step, &groups));
    if (!collected) return false;
    const int64_t filtered = filter(step, std::move(groups), rb, groups_before);
    if (algo.zero_variance == ZeroVarianceMode::kResample && filtered > 0 &&
        refills + filtered <= 4 * algo.prompts_per_step && !endpoint_->data_exhausted()) {
      for (int64_t i = 0; i < filtered; ++i) endpoint_->refill(step);
      refills += filtered;
      continue;
    }
    return true;
  }
}

// ---- optimise and publish ----

absl::StatusOr<StepGradient> Learner::optimise(int64_t step, const RolloutBatch& rb, double* grad_norm) {
  if (coll_.size() > 1) {  // every rank trains on the same batch
    std::string bytes = train_batch_to_proto(step, rb).SerializeAsString();
    coll_.broadcast(&bytes, 0);
  }
  return learner_optimise(models_, opt_, rb, r_, step, coll_, grad_norm);
}

// Logs when the published weights leave or come back to shared memory (a full /dev/shm, then room again).
void Learner::report_weight_shm() {
  const std::string why = publisher_->shm_error();
  if (why == weight_shm_error_) return;
  log_->info(why.empty()
                 ? std::string("weights back in shared memory for actors on this host")
                 : absl::StrCat("weights not in shared memory (", why, "): actors fetch them over gRPC"));
  weight_shm_error_ = why;
}

void Learner::publish(int64_t step, const RolloutBatch& rb) {
  publisher_->publish(step + 1, models_.trained(), models_.trained_count());
  report_weight_shm();
  endpoint_->set_version(step + 1);
  endpoint_->trained(step);
  count_.trained += static_cast<int64_t>(rb.groups.size());
}

}  // namespace ascent
