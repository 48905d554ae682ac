// Model: a config, its parameters (float32 master copy in one arena) and, once training starts, gradients.
// Checkpoints are Hugging Face directories: config.json + model.safetensors or sharded model-0000i-of-0000n
// .safetensors with model.safetensors.index.json. The on-disk dtype and shard of every tensor are remembered,
// so saving writes the layout that was loaded.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

// Reads config.json, the safetensors (sharded or not) and, when present, generation_config.json's
// eos_token_id (added to cfg.eos_token_ids: Hugging Face's generate stops on those).
absl::StatusOr<Model> model_load(const std::string& dir);
// shard_bytes > 0: re-shard into files of at most that many bytes; 0 keeps the loaded layout. The tokenizer
// and generation files of the directory the model was loaded from (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, vocab.json, merges.txt, added_tokens.json, chat_template.jinja,
// generation_config.json) are copied, so the output is a drop-in Hugging Face model directory.
absl::Status model_save(const Model& m, const std::string& dir, int64_t shard_bytes = 0);

}  // namespace ascent
