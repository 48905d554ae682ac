// Run checkpoints: run_dir/checkpoints/step-NNNNNN/ holds
//   model/                  a Hugging Face directory (config.json, model.safetensors in float32: the master
//                           weights, so a resumed run continues bit for bit; tokenizer files copied),
//                           loadable outside ascent (not in a LoRA run: `ascent merge-lora` makes one);
//   adapter/                with LoRA, instead of model/: the adapters in PEFT's format (model/lora.h); the
//                           base model is the recipe's;
//   optimizer.safetensors   AdamW's first and second moments ("adamw.m", "adamw.v") and its step (metadata)
//                           (with LoRA: the adapters' moments);
//   state.json              the rest of the run (format ascent.run_state.v1): step, data order, prompt leases,
//                           No-Positive-Resampling history, HERO sigma_bar, counters, live-fit points;
//   manifest.json           every file above with its size and CRC-32 (core/file_manifest.h).
// A checkpoint is written to step-NNNNNN.tmp, every file fsynced and its CRC taken, renamed, read back against
// its manifest, and only then is `latest` (a one-line file naming it, for people) replaced and the oldest
// beyond `keep` removed. A kill or a full disk at any moment leaves the previous one whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/adamw.h"
#include "model/lora.h"
#include "model/model.h"
#include "nlohmann/json.hpp"

namespace ascent {

// lora: the adapters when the run trains LoRA (written as adapter/ instead of the model), else null.
absl::Status checkpoint_save(const std::string& run_dir, int64_t step, Model& m, const LoraAdapters* lora,
                             const AdamWState& opt, const nlohmann::json& state, int64_t keep);
// Removes checkpoints/step-N.tmp directories that a killed or abandoned save left behind; returns their names.
std::vector<std::string> checkpoint_remove_unfinished(const std::string& run_dir);
// The newest checkpoint that verifies against its manifest. A newer one that does not (a flipped bit, a
// truncated or missing file) is renamed step-N.refused and named in *refused with the reason. In a run whose
// checkpoints all predate manifests, the newest is taken unverified, with a line in *refused saying so.
// NotFound when there is no checkpoint, DataLoss (every reason) when none verifies, Unavailable (nothing set
// aside) when a checkpoint cannot be read for a reason that need not be damage (EACCES, EIO).
absl::StatusOr<std::string> checkpoint_latest(const std::string& run_dir,
                                              std::vector<std::string>* refused = nullptr);
// Loads the model, the optimizer state and the run state of a checkpoint directory.
absl::StatusOr<Model> checkpoint_load(const std::string& ckpt, AdamWState* opt, nlohmann::json* state);
// The optimizer state (n parameters) and the run state alone (a LoRA run loads its adapters itself).
absl::Status checkpoint_load_state(const std::string& ckpt, int64_t n, AdamWState* opt,
                                   nlohmann::json* state);

}  // namespace ascent
