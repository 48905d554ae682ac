#include "learner/learner_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "transport/rollout_server.h"
#include "transport/weight_server.h"
#include "core/threads.h"
#include "curve_fit/live_fit.h"
#include "learner/checkpoint.h"
#include "learner/curriculum.h"
#include "learner/filters.h"
#include "learner/rollout_endpoint.h"
#include "learner/run_log.h"
#include "learner/step_metrics.h"
#include "learner/train_step.h"
#include "learner/validation.h"
#include "rewards/hero.h"

namespace ascent {

namespace fs = std::filesystem;
namespace rv1 = ascent::rollout::v1;

namespace {

using Clock = std::chrono::steady_clock;
double secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// What became of every group the actors sent (docs/metrics.md, groups/*).
struct Counters {
  int64_t generated = 0, trained = 0, filtered = 0, dropped_duplicate = 0, dropped_reward = 0;
  int64_t completions_dropped_reward = 0, tokens = 0;
  double wall_s = 0;  // of earlier segments of the run (before a resume)
  nlohmann::json to_json() const {
    return {{"generated", generated},
            {"trained", trained},
            {"filtered", filtered},
            {"dropped_duplicate", dropped_duplicate},
            {"dropped_reward", dropped_reward},
            {"completions_dropped_reward", completions_dropped_reward},
            {"tokens", tokens},
            {"wall_s", wall_s}};
  }
  void from_json(const nlohmann::json& j) {
    generated = j.at("generated"), trained = j.at("trained"), filtered = j.at("filtered");
    dropped_duplicate = j.at("dropped_duplicate"), dropped_reward = j.at("dropped_reward");
    completions_dropped_reward = j.at("completions_dropped_reward"), tokens = j.at("tokens");
    wall_s = j.at("wall_s");
  }
};

rv1::Group train_group_to_proto(const PromptGroup& pg) {
  rv1::Group g;
  g.set_prompt_id(pg.prompt_id);
  g.mutable_prompt()->Add(pg.prompt_tokens.begin(), pg.prompt_tokens.end());
  for (const Rollout& c : pg.completions) {
    rv1::Completion* x = g.add_completions();
    x->mutable_tokens()->Add(c.tokens.begin(), c.tokens.end());
    x->mutable_logprobs()->Add(c.logp_gen.begin(), c.logp_gen.end());
    x->mutable_versions()->Add(c.version.begin(), c.version.end());
    for (uint8_t m : c.loss_mask) x->add_forced(m ? 0 : 1);
    x->set_reward(c.reward);
    x->set_reward_ok(true);
    x->set_correct(c.correct);
    x->set_finish_reason(c.truncated ? "length" : "stop");
  }
  return g;
}

RolloutBatch batch_from_proto(const rv1::TrainBatch& tb) {
  RolloutBatch rb;
  for (int i = 0; i < tb.groups_size(); ++i) {
    rb.groups.push_back(train_group_from_proto(tb.groups(i), nullptr));
    rb.groups.back().weight = tb.weights(i);
  }
  return rb;
}

// Gradient, clipping and the AdamW step: the same on every rank.
absl::StatusOr<StepGradient> optimise(Model& m, AdamWState& opt, const RolloutBatch& rb, const LearnerConfig& r,
                                      int64_t step, Collective& coll, double* grad_norm) {
  LmHeadOptions head;
  head.temperature = r.generation.sampler.temperature > 0 ? r.generation.sampler.temperature : 1.0f;
  auto g = train_step_gradients(m, rb, r.algorithm, head, r.run.micro_batch_tokens, coll);
  if (!g.ok()) return g.status();
  *grad_norm =
      grad_clip_global_norm(m.grads.data(), static_cast<int64_t>(m.grads.size()), r.optimizer.grad_clip);
  adamw_step(opt, r.optimizer.adamw, lr_schedule_at(r.optimizer.schedule, step + 1), m.params.data(),
             m.grads.data(), static_cast<int64_t>(m.params.size()));
  return g;
}

absl::Status follower_run(const LearnerConfig& r, Model& m, AdamWState& opt, Collective& coll) {
  while (true) {
    std::string bytes;
    coll.broadcast(&bytes, 0);
    rv1::TrainBatch tb;
    if (!tb.ParseFromString(bytes)) return absl::DataLossError("rank 0 sent a batch that does not parse");
    if (tb.stop()) return absl::OkStatus();
    double norm = 0;
    auto g = optimise(m, opt, batch_from_proto(tb), r, tb.step(), coll, &norm);
    if (!g.ok()) return g.status();
  }
}

std::string eta_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s);
  return t >= 3600 ? absl::StrFormat("%dh%02dm", t / 3600, t / 60 % 60)
                   : absl::StrFormat("%dm%02ds", t / 60, t % 60);
}

}  // namespace

absl::Status learner_run(const LearnerConfig& r, const PromptSet& prompts, const LearnerOptions& o,
                         Collective& coll) {
  threads_set_count(static_cast<int>(r.run.learner_threads));
  const std::string run_dir = learner_run_dir(r);
  const bool lead = coll.rank() == 0;

  // The checkpoint to resume from, decided on rank 0 and told to the others.
  std::string ckpt;
  if (lead) {
    std::error_code ec;
    if (o.fresh) fs::remove_all(run_dir, ec);
    if (o.resume) {
      auto latest = checkpoint_latest(run_dir);
      if (!latest.ok()) return absl::NotFoundError(absl::StrCat("--resume: ", latest.status().message()));
      ckpt = *latest;
    } else if (fs::exists(fs::path(run_dir) / "metrics.jsonl")) {
      return absl::AlreadyExistsError(absl::StrCat(run_dir,
                                                   " holds a run already: --resume continues it, --fresh "
                                                   "starts over (deleting it), or change the recipe's name"));
    }
    fs::create_directories(run_dir, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat(run_dir, ": ", ec.message()));
  }
  coll.broadcast(&ckpt, 0);

  AdamWState opt;
  nlohmann::json state;
  absl::StatusOr<Model> loaded =
      ckpt.empty() ? model_load(r.model_path) : checkpoint_load(ckpt, &opt, &state);
  if (!loaded.ok()) return loaded.status();
  Model m = std::move(*loaded);
  m.source_dir = r.model_path;  // tokenizer files come from the recipe's model in every checkpoint
  model_grads_enable(m);
  if (ckpt.empty()) adamw_init(opt, static_cast<int64_t>(m.params.size()));
  const int64_t first_step = ckpt.empty() ? 0 : state.at("step").get<int64_t>();
  if (!lead) return follower_run(r, m, opt, coll);

  // ---- rank 0 ----
  const PromptSet* data = &prompts;
  std::map<std::string, size_t> by_id;
  std::vector<std::string> ids;
  for (size_t i = 0; i < data->train.size(); ++i)
    by_id[data->train[i].id] = i, ids.push_back(data->train[i].id);
  const AlgoConfig& algo = r.algorithm;
  PassRateHistory history(algo.npr_threshold);
  if (!ckpt.empty()) {
    auto h = PassRateHistory::parse(state.at("history").get<std::string>(), ckpt + "/state.json");
    if (!h.ok()) return h.status();
    history = std::move(*h);
  }
  PromptSampler sampler(ids, r.seed, algo.no_positive_resampling ? &history : nullptr);
  PromptLeases leases(algo.prompts_per_step, algo.max_lag, r.seed, [&]() -> absl::StatusOr<PromptRecord> {
    auto id = sampler.next();
    if (!id.ok()) return id.status();
    return data->train[by_id.at(*id)];
  });
  HeroState hero;
  Counters count;
  LiveFit live({}, 0, 200);
  if (!ckpt.empty()) {
    const std::string where = ckpt + "/state.json";
    if (absl::Status st = sampler.restore(state.at("sampler").get<std::string>(), where); !st.ok()) return st;
    if (absl::Status st = leases.restore(state.at("leases"), where); !st.ok()) return st;
    auto h = hero_state_from_json(state.at("hero"), where);
    if (!h.ok()) return h.status();
    hero = *h;
    count.from_json(state.at("counters"));
    for (const auto& p : state.at("fit_points")) live.add(p[0].get<double>(), p[1].get<double>());
  }

  // Services.
  WeightPublisher publisher(r.run.weight_bucket_mb << 20,
                            r.run.weight_dtype == "bf16" ? WireDType::kBF16 : WireDType::kF32);
  publisher.publish(first_step, m.params.data(), static_cast<int64_t>(m.params.size()));
  WeightServer weight_server(&publisher, "0.0.0.0:0");
  EndpointConfig ec;
  ec.weights_port = weight_server.port();
  ec.lost_after_s = o.lost_after_s;
  RolloutEndpoint endpoint(ec, &leases);
  endpoint.set_version(first_step);
  GroupInbox inbox(static_cast<size_t>(algo.prompts_per_step * (algo.max_lag + 2) + 16));
  const int64_t port = o.port >= 0 ? o.port : r.run.port;
  RolloutServer server(&inbox, &endpoint, absl::StrCat("0.0.0.0:", port));
  if (server.port() <= 0 || weight_server.port() <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on port ", port));
  }

  auto log = RunLog::open(run_dir, r, first_step, o.progress);
  if (!log.ok()) return log.status();
  if (absl::Status st = (*log)->write_address(absl::StrCat("127.0.0.1:", server.port())); !st.ok()) return st;
  (*log)->info(
      absl::StrCat("learner listening on port ", server.port(), " (weights ", weight_server.port(), "), ",
                   data->train.size(), " training prompts, ", data->validation.size(), " held out",
                   ckpt.empty() ? "" : absl::StrCat(", resumed at step ", first_step, " from ", ckpt)));

  // Validation uses the actor's settings on the learner's weights.
  auto codec = TextCodec::for_model_dir(r.model_path);
  if (!codec.ok()) return codec.status();
  auto vcfg = decode_settings_make(r.generation, m, codec->get());
  if (!vcfg.ok()) return absl::InvalidArgumentError(absl::StrCat(r.file, ": ", vcfg.status().message()));
  vcfg->sampler.temperature = static_cast<float>(r.run.validation.temperature);
  if (r.run.validation.max_tokens > 0) vcfg->max_tokens = r.run.validation.max_tokens;
  vcfg->max_len = std::max(vcfg->max_len, r.generation.prompt_max_tokens + vcfg->max_tokens);
  const PromptText vtext = prompt_text_make(codec->get(), r.generation);
  const int64_t processes = o.processes > 0 ? o.processes : r.run.actors + r.run.learner_ranks;
  const Clock::time_point t_start = Clock::now();
  auto wall = [&] { return count.wall_s + secs(t_start, Clock::now()); };
  auto compute = [&](std::map<std::string, double>* mm) {
    (*mm)["compute/wall_s"] = wall();
    (*mm)["compute/device_hours"] = wall() * static_cast<double>(processes) / 3600.0;
    (*mm)["compute/tokens"] = static_cast<double>(count.tokens);
  };
  double last_val = NAN;
  int64_t last_val_step = -1;
  auto validate = [&](int64_t step, std::map<std::string, double>* mm) -> absl::Status {
    if (data->validation.empty()) return absl::OkStatus();
    auto v = validation_run(m, data->validation, *vcfg, vtext,
                            r.run.validation.temperature > 0 ? r.run.validation.samples : 1, r.seed + 7919);
    if (!v.ok()) return v.status();
    last_val = v->pass_rate;
    last_val_step = step;
    (*mm)["val/pass_rate"] = v->pass_rate;
    (*mm)["time/validation_s"] = v->seconds;
    live.add(wall() * static_cast<double>(processes) / 3600.0, v->pass_rate);
    std::string fit_text;
    if (auto f = live.refit(); f.ok()) {
      (*mm)["fit/A"] = f->A.value, (*mm)["fit/A_lo"] = f->A.lo, (*mm)["fit/A_hi"] = f->A.hi;
      (*mm)["fit/B"] = f->B.value, (*mm)["fit/C_mid"] = f->C_mid.value;
      (*mm)["fit/C_mid_lo"] = f->C_mid.lo, (*mm)["fit/C_mid_hi"] = f->C_mid.hi;
      fit_text =
          absl::StrFormat("; live fit A %.3f [%.3f, %.3f], B %.2f, C_mid %.3g [%.3g, %.3g] device-hours",
                          f->A.value, f->A.lo, f->A.hi, f->B.value, f->C_mid.value, f->C_mid.lo, f->C_mid.hi);
    }
    (*log)->info(absl::StrFormat("step %d: validation pass rate %.3f on %d prompts (%.1f s)", step,
                                 v->pass_rate, v->prompts, v->seconds) +
                 fit_text);
    return absl::OkStatus();
  };
  std::map<int64_t, std::vector<rv1::Group>> pending;  // received groups by step
  auto save = [&](int64_t next_step) -> absl::Status {
    nlohmann::json st = {{"format", "ascent.run_state.v1"},      {"step", next_step},
                         {"sampler", sampler.serialize()},       {"history", history.serialize()},
                         {"hero", hero_state_to_json(hero)},     {"leases", endpoint.leases_json()},
                         {"fit_points", nlohmann::json::array()}};
    // Groups held for later steps are not in the checkpoint (a resumed run generates them again): they are
    // not counted as generated yet.
    Counters c = count;
    c.wall_s = wall();
    for (const auto& [s, v] : pending) {
      c.generated -= static_cast<int64_t>(v.size());
      for (const rv1::Group& g : v)
        for (const auto& x : g.completions()) c.tokens -= x.tokens_size();
    }
    st["counters"] = c.to_json();
    for (size_t i = 0; i < live.points().C.size(); ++i)
      st["fit_points"].push_back({live.points().C[i], live.points().R[i]});
    return checkpoint_save(run_dir, next_step, m, opt, st, r.run.checkpoint_keep);
  };

  if (first_step == 0) {
    std::map<std::string, double> mm;
    if (absl::Status st = validate(0, &mm); !st.ok()) return st;
    compute(&mm);
    (*log)->metrics(0, mm);
  }

  auto receive = [&](int timeout_ms) {
    rv1::Group g;
    if (!inbox.take(&g, timeout_ms)) return;
    if (endpoint.complete(g.lease()) != LeaseReturn::kFirst) {
      ++count.dropped_duplicate;
      return;
    }
    ++count.generated;
    for (const auto& c : g.completions()) count.tokens += c.tokens_size();
    pending[g.step()].push_back(std::move(g));
  };
  absl::Status result;
  int64_t step = first_step;
  double step_s_avg = 0;
  for (; step < r.run.steps; ++step) {
    const Clock::time_point t0 = Clock::now();
    const int64_t tokens0 = count.tokens;
    // Collect the step's groups; with zero_variance: resample, refill what the filter drops.
    RolloutBatch rb;
    int64_t groups_before = 0, refills = 0, dropped_reward_now = 0;
    bool interrupted = false;
    while (true) {
      Clock::time_point waiting = Clock::now();
      bool told = false;
      while (!endpoint.step_closed(step) && !(o.stop && *o.stop)) {
        receive(100);
        endpoint.reap();
        if (!told && secs(waiting, Clock::now()) > 30) {
          (*log)->info(absl::StrCat("step ", step, ": waiting for actors (", endpoint.actors().size(),
                                    " registered, ", endpoint.actors_lost(), " lost)"));
          told = true;
        }
      }
      if (o.stop && *o.stop) {
        interrupted = true;
        break;
      }
      std::vector<rv1::Group> groups = std::move(pending[step]);
      pending.erase(step);
      std::sort(groups.begin(), groups.end(),
                [](const rv1::Group& a, const rv1::Group& b) { return a.lease() < b.lease(); });
      RolloutBatch got;
      std::vector<double> sigma;
      std::vector<size_t> sigma_of;
      for (const rv1::Group& g : groups) {
        int64_t dropped = 0;
        PromptGroup pg = train_group_from_proto(g, &dropped);
        count.completions_dropped_reward += dropped;
        if (pg.completions.size() < 2) {
          ++count.dropped_reward, ++dropped_reward_now;
          continue;
        }
        if (algo.no_positive_resampling) history.record(pg.prompt_id, group_pass_rate(pg), step);
        if (g.has_hero_sigma()) sigma.push_back(g.hero_sigma()), sigma_of.push_back(got.groups.size());
        got.groups.push_back(std::move(pg));
      }
      if (r.rewards.hero && r.rewards.hero->weighting && !sigma.empty()) {
        const std::vector<double> w = hero_weights_update(*r.rewards.hero, &hero, sigma);
        for (size_t i = 0; i < w.size(); ++i) got.groups[sigma_of[i]].weight = w[i];
      }
      if (algo.overlong_shaping)
        apply_overlong_shaping(&got, algo.overlong_max_tokens, algo.overlong_cache_tokens);
      groups_before += static_cast<int64_t>(got.groups.size());
      int64_t filtered = 0;
      if (algo.zero_variance != ZeroVarianceMode::kOff) filtered = filter_zero_variance(&got);
      count.filtered += filtered;
      for (PromptGroup& g : got.groups) rb.groups.push_back(std::move(g));
      if (algo.zero_variance == ZeroVarianceMode::kResample && filtered > 0 &&
          refills + filtered <= 4 * algo.prompts_per_step && !endpoint.data_exhausted()) {
        for (int64_t i = 0; i < filtered; ++i) endpoint.refill(step);
        refills += filtered;
        continue;
      }
      break;
    }
    if (interrupted) break;
    if (groups_before == 0 && endpoint.data_exhausted()) {
      // Nothing came for this step and nothing more will: every prompt is retired (No-Positive-Resampling) or
      // the data ended. The run stops here with a checkpoint instead of stepping on empty batches.
      (*log)->info(absl::StrCat("step ", step,
                                ": no prompts left (every one retired by No-Positive-Resampling, "
                                "or the data set ended): the run stops"));
      break;
    }
    const Clock::time_point t_batch = Clock::now();

    // Every rank trains on the same batch.
    if (coll.size() > 1) {
      rv1::TrainBatch tb;
      tb.set_step(step);
      for (const PromptGroup& g : rb.groups)
        *tb.add_groups() = train_group_to_proto(g), tb.add_weights(g.weight);
      std::string bytes = tb.SerializeAsString();
      coll.broadcast(&bytes, 0);
    }
    double grad_norm = 0;
    std::map<std::string, double> mm;
    StepGradient grad;
    if (!rb.groups.empty()) {
      auto g = optimise(m, opt, rb, r, step, coll, &grad_norm);
      if (!g.ok()) {
        result = g.status();
        break;
      }
      grad = *g;
    } else {
      (*log)->info(absl::StrCat("step ", step, ": every group was filtered; no update"));
    }
    const Clock::time_point t_grad = Clock::now();
    publisher.publish(step + 1, m.params.data(), static_cast<int64_t>(m.params.size()));
    endpoint.set_version(step + 1);
    endpoint.trained(step);
    count.trained += static_cast<int64_t>(rb.groups.size());
    const Clock::time_point t_pub = Clock::now();

    // Metrics.
    LossResult lr;
    lr.loss = grad.loss;
    lr.stats = grad.stats;
    mm = step_metrics_compute({&lr, &rb, groups_before, step, nullptr});
    if (grad.tokens > 0) mm["policy/entropy"] = grad.entropy_mean;
    mm["optim/grad_norm"] = grad_norm;
    mm["optim/lr"] = lr_schedule_at(r.optimizer.schedule, step + 1);
    double correct = 0, completions = 0;
    for (const PromptGroup& g : rb.groups)
      for (const Rollout& c : g.completions) correct += c.correct, completions += 1;
    mm["batch/pass_rate"] = completions > 0 ? correct / completions : 0;
    mm["groups/generated"] = static_cast<double>(count.generated);
    mm["groups/trained"] = static_cast<double>(count.trained);
    mm["groups/filtered"] = static_cast<double>(count.filtered);
    mm["groups/dropped_duplicate"] = static_cast<double>(count.dropped_duplicate);
    mm["groups/dropped_reward"] = static_cast<double>(count.dropped_reward);
    int64_t held = 0;
    for (const auto& [s, v] : pending) held += static_cast<int64_t>(v.size());
    mm["groups/held"] = static_cast<double>(held);  // received for later steps
    mm["learner/ranks"] = coll.size();
    mm["completions/dropped_reward"] = static_cast<double>(count.completions_dropped_reward);
    if (r.rewards.hero) mm["hero/sigma_bar"] = hero.sigma_bar;
    int64_t live_actors = 0;
    std::map<std::string, double> actor_s;
    for (const ActorView& a : endpoint.actors()) {
      live_actors += !a.lost;
      for (const auto& [k, v] : a.seconds) actor_s[k] += v;
    }
    mm["actors/live"] = static_cast<double>(live_actors);
    mm["actors/lost"] = static_cast<double>(endpoint.actors_lost());
    for (const auto& [k, v] : actor_s) mm["actors/" + k + "_s"] = v;
    mm["time/wait_s"] = secs(t0, t_batch);
    mm["time/learner_s"] = secs(t_batch, t_grad);
    mm["time/publish_s"] = secs(t_grad, t_pub);
    const double step_s = secs(t0, Clock::now());
    mm["time/step_s"] = step_s;
    mm["perf/tokens_per_s"] = step_s > 0 ? static_cast<double>(count.tokens - tokens0) / step_s : 0;
    const bool last = step + 1 == r.run.steps;
    const ValidationConfig& vc = r.run.validation;
    if (last || (vc.every > 0 && (step + 1) % vc.every == 0)) {
      if (absl::Status st = validate(step + 1, &mm); !st.ok()) {
        result = st;
        break;
      }
    }
    compute(&mm);
    (*log)->metrics(step + 1, mm);
    step_s_avg = step_s_avg == 0 ? step_s : 0.8 * step_s_avg + 0.2 * step_s;
    (*log)->progress(absl::StrFormat(
        "step %d/%d | reward %.3f | pass %.2f | val %s | %.0f tok/s | lag %.1f | ETA %s", step + 1,
        r.run.steps, mm["batch/reward_mean"], mm["batch/pass_rate"],
        std::isnan(last_val) ? "-" : absl::StrFormat("%.3f", last_val), mm["perf/tokens_per_s"],
        mm["lag/mean"], eta_text(step_s_avg * static_cast<double>(r.run.steps - step - 1))));
    if (last || (r.run.checkpoint_every > 0 && (step + 1) % r.run.checkpoint_every == 0)) {
      const Clock::time_point tc = Clock::now();
      if (absl::Status st = save(step + 1); !st.ok()) {
        result = st;
        break;
      }
      (*log)->info(absl::StrFormat("checkpoint at step %d (%.2f s)", step + 1, secs(tc, Clock::now())));
    }
  }
  // The end (or Ctrl-C, or an error): a checkpoint of the last finished step if it has none, the actors told.
  if (step < r.run.steps && step > first_step && result.ok()) {
    if (absl::Status st = save(step); st.ok())
      (*log)->info(absl::StrCat("stopped: checkpoint at step ", step));
  }
  endpoint.finish();
  if (coll.size() > 1) {
    rv1::TrainBatch tb;
    tb.set_stop(true);
    std::string bytes = tb.SerializeAsString();
    coll.broadcast(&bytes, 0);
  }
  (*log)->finish();
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(ec.heartbeat_s * 1500)));
  if (!result.ok()) return result;
  if (live.points().R.size() >= 2) {
    const double r0 = live.points().R.front(), r1 = live.points().R.back();
    (*log)->info(
        absl::StrFormat("held-out pass rate: %.3f at the start, %.3f at the last validation (step %d): %+.1f "
                        "points",
                        r0, r1, last_val_step, 100 * (r1 - r0)));
  }
  if (auto f = live.refit(); f.ok()) {
    (*log)->info(
        absl::StrFormat("live sigmoid fit over %d validations: A = %.3f [%.3f, %.3f], B = %.2f, C_mid = %.3g "
                        "device-hours [%.3g, %.3g], R0 = %.3f",
                        live.points().C.size(), f->A.value, f->A.lo, f->A.hi, f->B.value, f->C_mid.value,
                        f->C_mid.lo, f->C_mid.hi, f->R0.value));
  } else {
    (*log)->info(absl::StrCat("live sigmoid fit: ", f.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace ascent
