// `ascent import gguf FILE.gguf --out DIR [--dtype float32|bfloat16]`: a llama.cpp GGUF model to a Hugging Face
// model directory (model/gguf/gguf_import.h) that every other subcommand and transformers load.
#include <cstdio>

#include "cli/commands.h"
#include "model/gguf/gguf_import.h"

namespace ascent {

void cli_add_import(CLI::App& app) {
  struct Opts {
    std::string file, out, dtype = "float32";
  };
  auto o = std::make_shared<Opts>();
  auto* imp = app.add_subcommand("import", "Import a model from another format");
  imp->require_subcommand(1);
  auto* cmd = imp->add_subcommand("gguf",
                                  "A llama.cpp GGUF file (llama architecture, byte-level BPE) to a "
                                  "Hugging Face model directory, dequantised");
  cmd->add_option("file", o->file, "the .gguf file")->required();
  cmd->add_option("--out", o->out, "output model directory")->required();
  cmd->add_option("--dtype", o->dtype, "float32 or bfloat16 weights")->capture_default_str();
  cmd->callback([o] {
    DType dtype = DType::kF32;
    if (!dtype_parse(o->dtype, &dtype) || dtype == DType::kF16) {
      std::exit(cli_fail("import gguf", "--dtype: '" + o->dtype + "' (float32 or bfloat16)"));
    }
    GgufImportReport report;
    if (absl::Status st = gguf_import(o->file, o->out, dtype, &report); !st.ok()) {
      std::exit(cli_fail("import gguf", std::string(st.message())));
    }
    std::printf("ascent import gguf: %ld tensors (%s), %.1fM parameters -> %s (%s)\n",
                static_cast<long>(report.tensors), report.quant_types.c_str(), report.params / 1e6,
                o->out.c_str(), o->dtype.c_str());
  });
}

}  // namespace ascent
