// Small random models for tests: a tiny config of each family, initialised in memory.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/rng.h"
#include "model/model.h"
#include "model/transformer.h"

namespace ascent {

inline Model test_model(ModelArch arch, bool tied, uint64_t seed, float init = 0.2f) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 40, c.hidden_size = 16, c.intermediate_size = 24, c.num_layers = 2;
  c.num_heads = 4, c.num_kv_heads = 2, c.head_dim = 4;
  c.rope.theta = 10000.0;
  c.tie_word_embeddings = tied;
  c.qkv_bias = arch == ModelArch::kQwen2;
  c.qk_norm = arch == ModelArch::kQwen3;
  c.o_bias = false;
  c.initializer_range = init;
  auto m = model_create(c, DType::kF32);
  model_init_random(*m, seed);
  // Norm weights and biases away from their trivial init, so their gradients are exercised in general
  // position.
  Rng rng(seed + 1);
  for (const ParamInfo& p : m->layout.params) {
    if (p.name.find("norm") != std::string::npos || p.name.find("bias") != std::string::npos) {
      for (int64_t i = 0; i < p.numel; ++i)
        m->params[p.offset + i] += 0.3f * static_cast<float>(rng.next_normal());
    }
  }
  return std::move(*m);
}

// Test names for suites over the model families: .../qwen2, .../llama, .../qwen3.
inline std::string arch_param_name(const ::testing::TestParamInfo<ModelArch>& info) {
  return model_arch_name(info.param);
}

inline PackedBatch test_batch(int64_t vocab, std::vector<int64_t> lens, uint64_t seed) {
  Rng rng(seed);
  PackedBatch b;
  for (int64_t len : lens) {
    std::vector<int32_t> ids;
    for (int64_t i = 0; i < len; ++i) ids.push_back(static_cast<int32_t>(rng.next_u64() % vocab));
    batch_add_sequence(b, ids);
  }
  return b;
}

}  // namespace ascent
