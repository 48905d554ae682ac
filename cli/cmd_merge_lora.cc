// ascent merge-lora: a LoRA run's adapters (PEFT's format, a checkpoint's adapter/) merged into their base
// model, W = W0 + s B A (model/lora.h), written as a whole Hugging Face model that every tool loads.
#include <cstdio>

#include "cli/commands.h"
#include "model/lora.h"
#include "model/model.h"

namespace ascent {

void cli_add_merge_lora(CLI::App& app) {
  struct Opts {
    std::string base, adapter, out, dtype = "float32";
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("merge-lora", "Merge LoRA adapters (PEFT format) into their base model");
  cmd->add_option("--base", o->base, "the base model's Hugging Face directory (the run's model.path)")
      ->required();
  cmd->add_option("--adapter", o->adapter, "the adapter directory (a checkpoint's adapter/, or peft's)")
      ->required();
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option("--dtype", o->dtype, "float32 | bfloat16 | float16 on disk")->capture_default_str();
  cmd->callback([o] {
    DType dt;
    if (!dtype_parse(o->dtype, &dt)) std::exit(cli_fail("merge-lora", "--dtype: unknown '" + o->dtype + "'"));
    auto m = model_load(o->base);
    if (!m.ok()) std::exit(cli_fail("merge-lora", o->base + ": " + std::string(m.status().message())));
    auto a = lora_load_peft(*m, o->adapter);
    if (!a.ok()) std::exit(cli_fail("merge-lora", std::string(a.status().message())));
    lora_merge(*a, m->params.data());
    if (int64_t at = first_non_finite(m->params.data(), static_cast<int64_t>(m->params.size())); at >= 0)
      std::exit(cli_fail("merge-lora", "the merged weights overflow (element " + std::to_string(at) + ")"));
    std::fill(m->disk_dtype.begin(), m->disk_dtype.end(), dt);
    m->source_dir = o->base;  // its tokenizer files go along
    absl::Status st = model_save(*m, o->out);
    if (!st.ok()) std::exit(cli_fail("merge-lora", std::string(st.message())));
    std::printf("merged %zu LoRA targets (rank %ld) into %s\n", a->targets.size(),
                static_cast<long>(a->cfg.rank), o->out.c_str());
  });
}

}  // namespace ascent
