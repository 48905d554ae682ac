#include <cstdio>

#include "cli/commands.h"
#include "core/threads.h"
#include "job/prompt_data.h"
#include "learner/sft.h"
#include "learner/validation.h"

namespace ascent {

void cli_add_sft(CLI::App& app) {
  struct Opts {
    std::string recipe, init, out;
    SftConfig cfg;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("sft",
                                 "Supervised fine-tuning on a recipe's training prompts and answers (the "
                                 "quickstart's starting policy)");
  cmd->add_option("--recipe", o->recipe, "recipe YAML (data and generation.template are used)")->required();
  cmd->add_option("--init", o->init, "the model to start from (Hugging Face directory)")->required();
  cmd->add_option("--out", o->out, "output directory (default: the recipe's model.path)");
  cmd->add_option("--steps", o->cfg.steps, "optimiser steps")->capture_default_str();
  cmd->add_option("--batch", o->cfg.batch, "examples per step")->capture_default_str();
  cmd->add_option("--lr", o->cfg.lr, "peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", o->cfg.warmup_steps, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--seed", o->cfg.seed, "batch sampling seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all)")->capture_default_str();
  cmd->callback([o] {
    threads_set_count(o->threads);
    auto r = recipe_load(o->recipe);
    if (!r.ok()) std::exit(cli_fail("sft", std::string(r.status().message())));
    const std::string out = o->out.empty() ? r->model_path : o->out;
    auto m = model_load(o->init);
    if (!m.ok()) std::exit(cli_fail("sft", std::string(m.status().message())));
    auto codec = TextCodec::for_model_dir(o->init);
    if (!codec.ok()) std::exit(cli_fail("sft", std::string(codec.status().message())));
    if (m->cfg.eos_token_ids.empty()) std::exit(cli_fail("sft", o->init + ": the model has no eos token id"));
    auto data = prompt_data_load(r->data, r->seed);
    if (!data.ok()) std::exit(cli_fail("sft", std::string(data.status().message())));
    const PromptText text = prompt_text_make(codec->get(), r->generation);
    auto acfg = decode_settings_make(r->generation, *m, codec->get());
    if (!acfg.ok()) std::exit(cli_fail("sft", std::string(acfg.status().message())));
    acfg->sampler.temperature = 0;
    auto loss = sft_run(*m, data->train, text, static_cast<int32_t>(m->cfg.eos_token_ids[0]), o->cfg,
                        [&](int64_t step, double l) {
                          if (step % 50 == 0 || step == o->cfg.steps)
                            std::fprintf(stderr, "sft step %ld/%ld: loss %.4f\n", static_cast<long>(step),
                                         static_cast<long>(o->cfg.steps), l);
                        });
    if (!loss.ok()) std::exit(cli_fail("sft", std::string(loss.status().message())));
    if (absl::Status st = model_save(*m, out); !st.ok())
      std::exit(cli_fail("sft", std::string(st.message())));
    std::printf("sft: %ld steps, final loss %.4f, saved %s\n", static_cast<long>(o->cfg.steps), *loss,
                out.c_str());
    if (!data->validation.empty()) {
      auto v = validation_run(*m, data->validation, *acfg, text, 1, r->seed);
      if (v.ok())
        std::printf("sft: held-out greedy pass rate %.3f on %ld prompts\n", v->pass_rate,
                    static_cast<long>(v->prompts));
    }
  });
}

}  // namespace ascent
