#include <cstdio>

#include "cli/commands.h"
#include "model/model.h"

namespace ascent {

void cli_add_init_model(CLI::App& app) {
  struct Opts {
    std::string out, arch = "qwen2", preset = "tiny", dtype = "float32";
    int64_t vocab = 0, layers = 0, shard_mb = 0, num_labels = 0;
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("init-model", "Write a randomly initialised Hugging Face checkpoint");
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option("--arch", o->arch, "qwen2 | qwen3 | llama")->capture_default_str();
  cmd->add_option("--preset", o->preset,
                  "tiny (~1M) | small (~25M) | 0.5b | 1.5b (Qwen2.5-0.5B / -1.5B shapes)")
      ->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "float32 | bfloat16 | float16 on disk")->capture_default_str();
  cmd->add_option("--vocab", o->vocab, "override the vocabulary size");
  cmd->add_option("--layers", o->layers, "override the number of layers");
  cmd->add_option("--shard-mb", o->shard_mb, "write sharded files of at most this many MB");
  cmd->add_option("--seed", o->seed, "init seed")->capture_default_str();
  cmd->add_option("--num-labels", o->num_labels,
                  "a reward model (*ForSequenceClassification, score head of this many labels; 1 for HERO)");
  cmd->callback([o] {
    auto arch = model_arch_parse(o->arch);
    if (!arch.ok()) std::exit(cli_fail("init-model", std::string(arch.status().message())));
    auto cfg = model_config_preset(*arch, o->preset, o->vocab);
    if (!cfg.ok()) std::exit(cli_fail("init-model", std::string(cfg.status().message())));
    if (o->layers > 0) cfg->num_layers = o->layers;
    if (o->num_labels > 0)
      cfg->num_labels = o->num_labels, cfg->pad_token_id = 258;  // the byte tokenizer's pad
    DType dt;
    if (!dtype_parse(o->dtype, &dt)) std::exit(cli_fail("init-model", "--dtype: unknown '" + o->dtype + "'"));
    auto m = model_create(*cfg, dt);
    if (!m.ok()) std::exit(cli_fail("init-model", std::string(m.status().message())));
    model_init_random(*m, o->seed);
    auto st = model_save(*m, o->out, o->shard_mb << 20);
    if (!st.ok()) std::exit(cli_fail("init-model", std::string(st.message())));
    std::printf("wrote %s: %s %s, %.2fM parameters, %s\n", o->out.c_str(), o->arch.c_str(), o->preset.c_str(),
                model_config_num_params(*cfg) / 1e6, o->dtype.c_str());
  });
}

}  // namespace ascent
