// LoRA adapters on the transformer's linear layers (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
// Language Models", eq. 3): for each targeted weight W0 [out, in] (row-major, as Hugging Face stores it),
//   W = W0 + s * B A,   A [r, in], B [out, r],   s = alpha / r   (rsLoRA, Kalajdzievski 2023: alpha / sqrt(r))
// A starts as PEFT's kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and B as 0, so W = W0 at
// the start. ascent trains LoRA through the merged weight: the engine runs on W and computes dL/dW; the
// adapters' gradients are its projections (exact for any loss, by the chain rule):
//   dL/dA = s * B^T dL/dW   [r, in]        dL/dB = s * dL/dW A^T   [out, r]
// so every backend trains LoRA without a kernel of its own. Only the adapters are optimised, published and
// checkpointed. Dropout is not supported: an RL learner's log-probs must be the sampler's policy (docs/
// algorithms.md 2d), and a dropout mask would make them differ by construction.
// On disk: PEFT's adapter format (adapter_config.json + adapter_model.safetensors with keys
// base_model.model.<module>.lora_A.weight / .lora_B.weight), loadable with peft.PeftModel.from_pretrained.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model.h"

namespace ascent {

struct LoraConfig {
  int64_t rank = 16;
  double alpha = 32.0;
  bool rslora = false;
  // As PEFT matches them: a module's name (model.layers.0.self_attn.q_proj) or its end after a dot (q_proj).
  std::vector<std::string> target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                             "gate_proj", "up_proj", "down_proj"};
  double scale() const;
};

// The module names a LoraConfig may target (PEFT's "all-linear" without the LM head).
const std::vector<std::string>& lora_linear_modules();
// Whether a target_modules entry names one of them (itself, or as the end of a module path: layers.0.q_proj).
bool lora_target_known(const std::string& target);

struct LoraTarget {
  std::string module;       // e.g. model.layers.0.self_attn.q_proj
  int64_t base_offset = 0;  // of W in the model's parameter arena
  int64_t out = 0, in = 0;
  int64_t a_offset = 0, b_offset = 0;  // in LoraAdapters::params
  int64_t w0_offset = 0;               // in LoraAdapters::base
};

struct LoraAdapters {
  LoraConfig cfg;
  std::vector<LoraTarget> targets;
  std::vector<float> params;  // A then B of each target, in target order
  std::vector<float> base;    // W0 of each target, copied from the model when the adapters were made
  int64_t size() const { return static_cast<int64_t>(params.size()); }
};

// Adapters for every weight of m whose module cfg.target_modules names, with W0 copied from m.params (which
// must hold the base model). Errors: a target whose last part is not in lora_linear_modules(), rank < 1,
// alpha <= 0, or no weight matched.
absl::StatusOr<LoraAdapters> lora_create(const Model& m, const LoraConfig& cfg, uint64_t seed);

// params (the model's arena) gets W0 + s B A at every target; other parameters are left alone. Each row is
// computed by one thread in a fixed order: the same adapters give the same bytes on every process.
void lora_merge(const LoraAdapters& a, float* params);
// grads [a.size()] = the adapters' gradients from the model's dL/dW arena dw (overwritten, not added to).
void lora_project_grads(const LoraAdapters& a, const float* dw, float* grads);

// A fingerprint of W0 (every target's base weights): a resume checks that the recipe's model is still the base
// the adapters were trained on (FNV-1a over the weights' bytes, 16 hex digits).
std::string lora_base_fingerprint(const LoraAdapters& a);

// PEFT's adapter directory. base_model goes into adapter_config.json's base_model_name_or_path.
absl::Status lora_save_peft(const LoraAdapters& a, const std::string& dir, const std::string& base_model);
// Reads an adapter directory written by peft or by lora_save_peft for model m (m.params holds the base
// model). Errors name the file and key: a missing file, peft_type other than LORA, lora_dropout > 0,
// use_dora, a bias other than "none", settings that change what the adapter means (an init that rewrites
// the base: pissa, olora, corda, eva, loftq; layers_to_transform, exclude_modules, layer_replication,
// target_parameters, modules_to_save, alora_invocation_tokens, rank or alpha patterns), a target module m
// lacks, a missing or misshapen tensor, a non-finite value, an adapter for a module outside target_modules.
absl::StatusOr<LoraAdapters> lora_load_peft(const Model& m, const std::string& dir);

}  // namespace ascent
