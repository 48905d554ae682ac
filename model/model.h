// Model: a config, its parameters (float32 master copy in one arena) and, once training starts, gradients,
// and the backend (model/backend.h) that runs it. On a host-memory backend (the CPU) the views w/g point into
// the host arenas themselves; on a device backend they point into the backend's copies (device_params,
// device_grads), which model_to_backend and model_swap_params fill and model_grads_to_host reads back.
// Checkpoints are Hugging Face directories: config.json + model.safetensors or sharded model-0000i-of-0000n
// .safetensors with model.safetensors.index.json. The on-disk dtype and shard of every tensor are remembered,
// so saving writes the layout that was loaded.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/backend.h"
#include "model/config.h"
#include "model/dtype.h"
#include "model/params.h"

namespace ascent {

struct Model {
  ModelConfig cfg;
  ParamLayout layout;
  std::vector<float> params;
  std::vector<float> grads;             // empty until model_grads_enable
  ModelWeights w;                       // views into params
  ModelWeights g;                       // views into grads
  std::vector<DType> disk_dtype;        // per layout entry
  std::vector<std::string> disk_shard;  // per layout entry; all "model.safetensors" when not sharded
  std::string source_dir;               // the directory it was loaded from ("" if created)
  Backend* backend = &backend_cpu();
  DeviceBuffer device_params, device_grads;  // device backends only

  Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
};

// Allocates a zero-initialised model for cfg with every tensor stored as `dtype` in one file.
absl::StatusOr<Model> model_create(const ModelConfig& cfg, DType dtype);
// Random init as transformers does: normal(0, initializer_range) for matrices and embeddings, ones for norms,
// zeros for biases; values are rounded to the disk dtype so that save -> load is bit-exact.
void model_init_random(Model& m, uint64_t seed);
void model_grads_enable(Model& m);
void model_grads_zero(Model& m);
// Runs the model on backend b from now on: a device backend gets a copy of the parameters (and gradients,
// when enabled) and the views point there; a host-memory backend uses the host arenas.
void model_to_backend(Model& m, Backend& b);
// On a device backend: copies the backend's gradients into m.grads (the host optimiser reads them there),
// and m.params into the backend's copy (after the host optimiser changed them). No-ops on the CPU.
void model_grads_to_host(Model& m);
void model_params_to_backend(Model& m);
// Exchanges the parameters with `params` (same length; a FailedPrecondition otherwise) and rebinds the
// views: the actor's swap of a received version between two decode steps, O(1) on the CPU. Afterwards
// `params` holds the previous parameters.
absl::Status model_swap_params(Model& m, std::vector<float>& params);

// Index of the first NaN or Inf among n values, or -1.
int64_t first_non_finite(const float* x, int64_t n);

// Reads config.json, the safetensors (sharded or not) and, when present, generation_config.json's
// eos_token_id (added to cfg.eos_token_ids: Hugging Face's generate stops on those). A NaN or Inf weight is
// refused (DataLoss naming the file, tensor and element): nothing non-finite is trained or served.
absl::StatusOr<Model> model_load(const std::string& dir);
// shard_bytes > 0: re-shard into files of at most that many bytes; 0 keeps the loaded layout. The tokenizer
// and generation files of the directory the model was loaded from (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, vocab.json, merges.txt, added_tokens.json, chat_template.jinja,
// generation_config.json) are copied, so the output is a drop-in Hugging Face model directory.
absl::Status model_save(const Model& m, const std::string& dir, int64_t shard_bytes = 0);

}  // namespace ascent
