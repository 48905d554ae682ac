#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "actor/actor.h"
#include "cli/commands.h"
#include "cli/stop_signal.h"
#include "core/threads.h"
#include "generation/generation_config.h"
#include "job/recipe.h"
#include "job/run_credentials.h"
#include "rewards/reward_setup.h"

namespace ascent {

void cli_add_actor(CLI::App& app) {
  struct Opts {
    std::string learner, recipe, name = "actor-0", tls_ca;
    int threads = 0;
    int64_t max_groups = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("actor", "Run one generator actor against a learner (ascent learner / train)");
  cmd->add_option("--learner", o->learner, "the learner's RolloutService, HOST:PORT")->required();
  cmd->add_option("--recipe", o->recipe, "recipe YAML (model, generation, algorithm, rewards)")->required();
  cmd->add_option("--name", o->name, "this actor's name (a restart under the same name takes over its work)")
      ->capture_default_str();
  cmd->add_option("--tls-ca", o->tls_ca,
                  "the CA file of the learner's certificate (default: run.tls.ca, or <run dir>/tls/ca.pem "
                  "when the run leaves loopback)");
  cmd->add_option("--threads", o->threads, "CPU threads (0: the recipe's run.actor_threads)");
  cmd->add_option("--max-groups", o->max_groups, "stop after this many groups (0: until the run ends)");
  cmd->callback([o] {
    absl::StatusOr<Recipe> r = recipe_load(o->recipe);
    if (!r.ok()) std::exit(cli_fail("actor", std::string(r.status().message())));
    threads_set_count(o->threads > 0 ? o->threads : static_cast<int>(r->run.actor_threads));
    auto m = model_load(r->model_path);
    if (!m.ok()) std::exit(cli_fail("actor", r->model_path + ": " + std::string(m.status().message())));
    auto codec = TextCodec::for_model_dir(r->model_path);
    if (!codec.ok()) std::exit(cli_fail("actor", std::string(codec.status().message())));
    auto cfg =
        actor_config_make(r->generation, r->algorithm.group_size, r->algorithm.max_lag, *m, codec->get());
    if (!cfg.ok()) std::exit(cli_fail("actor", o->recipe + ": " + std::string(cfg.status().message())));
    cfg->name = o->name;
    auto credentials =
        actor_credentials(*r, o->name, o->learner, o->tls_ca);  // ASCENT_TOKEN, or the run secret
    if (!credentials.ok()) std::exit(cli_fail("actor", std::string(credentials.status().message())));
    cfg->credentials = *credentials;
    // A learner started at the same moment (a scheduler) may still be making the run's CA: wait for it.
    for (int i = 0;
         i < 1200 && !cfg->credentials.tls_ca.empty() && !std::filesystem::exists(cfg->credentials.tls_ca);
         ++i) {
      if (i == 0) std::fprintf(stderr, "ascent actor: waiting for %s\n", cfg->credentials.tls_ca.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    cfg->lora = r->lora;
    cfg->max_groups = o->max_groups;
    auto rewards = reward_setup_make(r->rewards, o->recipe);
    if (!rewards.ok()) std::exit(cli_fail("actor", std::string(rewards.status().message())));
    Actor actor(*cfg, *m, prompt_text_make(codec->get(), r->generation), rewards->pipeline.get());
    stop_signal_install([&actor] { actor.stop(); });
    absl::Status st = actor.run(o->learner);
    const ActorStats s = actor.stats();
    std::fprintf(stderr,
                 "ascent actor %s: %ld groups, %ld tokens in %.1f s decoding (%.0f tokens/s), %ld weight "
                 "updates (%ld through shared memory; last version %ld), %.1f s idle\n",
                 o->name.c_str(), static_cast<long>(s.groups_sent), static_cast<long>(s.tokens), s.decode_s,
                 s.decode_s > 0 ? s.tokens / s.decode_s : 0.0, static_cast<long>(s.weight_updates),
                 static_cast<long>(s.weight_shm_updates), static_cast<long>(s.version), s.idle_s);
    if (!s.weight_shm_fallback.empty())
      std::fprintf(stderr, "ascent actor %s: weights over gRPC, not shared memory: %s\n", o->name.c_str(),
                   s.weight_shm_fallback.c_str());
    if (!st.ok()) std::exit(cli_fail("actor", std::string(st.message())));
  });
}

}  // namespace ascent
