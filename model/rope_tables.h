// RoPE's cos/sin tables for a batch's positions, computed on the host for every backend (in float32 as
// transformers computes them, so every backend rotates by the same numbers) and copied to the device there.
// Shape key: N tokens, D head_dim; the tables are [N, D/2], angle = position * inv_freq[d]
// (model_config_rope_inv_freq, with llama3 scaling where configured).
#pragma once

#include <cstdint>
#include <vector>

namespace ascent {

// Fills cos/sin [N, D/2] for the positions, in float32 like transformers.
void rope_tables(float* cos, float* sin, const int32_t* positions, const std::vector<float>& inv_freq,
                 int64_t N);

}  // namespace ascent
