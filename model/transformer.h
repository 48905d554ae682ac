// The decoder forward and backward over packed variable-length batches.
// A PackedBatch is segments laid end to end in `tokens`; a segment is `len` consecutive tokens of one sequence
// starting at position pos0. Without a KV cache (training, scoring) a segment is a whole sequence (pos0 = 0)
// that attends only to itself, or the continuation of another segment of the batch (shared-prefix packing,
// below). With a cache, segment s appends its keys/values to cache slot `slot` at [pos0, pos0 + len) and
// attends to the slot's positions [0, pos0 + len): prefill is one long segment, a decode step is one 1-token
// segment per running sequence. Shape key: N tokens in the batch, Nt tokens with a target (len - 1 per
// segment with targets), C, V as in params.h.
//
// Shared-prefix packing (no cache): a segment with prefix = p continues segment p (an earlier, whole
// sequence of the batch, pos0 = 0): it sits at positions [len_p, len_p + len), so pos0 = len_p, and its
// queries see p's keys and then its own, causally. Several segments may continue one prefix: a GRPO group's
// prompt runs through the layers once for all its completions, and every log-prob and gradient equals that
// of the sequences laid out whole (prefix tokens + segment tokens) up to float summation order. A segment
// with targets = false has no log-probs (a shared prompt's, which no loss reads).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "model/backend.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace ascent {

struct Segment {
  int64_t len = 0;
  int64_t pos0 = 0;
  int64_t slot = -1;
  int64_t prefix = -1;  // index of the segment this one continues (no cache only), or -1
  bool targets = true;  // log-probs of tokens 1..len-1 (false: none)
};

struct PackedBatch {
  std::vector<int32_t> tokens;
  std::vector<Segment> segments;
};

// Appends one whole sequence (pos0 = 0, no cache slot) to a batch; returns its segment index.
int64_t batch_add_sequence(PackedBatch& b, const std::vector<int32_t>& ids, bool targets = true);
// Appends a continuation of segment `prefix` (a whole sequence already in b) to a batch.
void batch_add_continuation(PackedBatch& b, int64_t prefix, const std::vector<int32_t>& ids);
int64_t batch_num_targets(const PackedBatch& b);

// One layer's activations, in the backend's memory (model/backend.h).
struct LayerActs {
  DeviceBuffer x_in, rstd1, h1, q, k, v, q_pre, k_pre, q_rstd, k_rstd, att, lse, x_mid, rstd2, h2, gate, up,
      act;
  DeviceBuffer k_cat, v_cat;  // shared-prefix packing: each continuation's keys/values after its prefix's
};

// Scratch of one layer's backward (kept in ForwardState so that reusing the state reuses the memory).
struct LayerGrads {
  DeviceBuffer dact, dgate, dup, dh2, datt, dq, dk, dv, dq_pre, dk_pre, dh1, dk_cat, dv_cat;
};

// A batch's inputs on the host, and as the backend sees them: on the CPU the d_ pointers point at the host
// data itself (d_tokens into the caller's PackedBatch), on a device backend at the copies below.
struct BatchInputs {
  std::vector<float> cos, sin;        // RoPE tables [N, D/2]
  std::vector<int64_t> target_rows;   // [Nt]: rows that have a target
  std::vector<int32_t> targets;       // [Nt]
  const int32_t* d_tokens = nullptr;  // [N]
  const float *d_cos = nullptr, *d_sin = nullptr;
  const int64_t* d_target_rows = nullptr;
  const int32_t* d_targets = nullptr;
  std::vector<int64_t> seg_start;  // [segments]: each segment's first row in the batch
  // Shared-prefix packing: the batch rows whose keys/values each continuation reads (its prefix's rows, then
  // its own), continuation after continuation; cat_start[s]: where segment s's run begins (-1: none).
  std::vector<int64_t> cat_rows, cat_start;
  const int64_t* d_cat_rows = nullptr;
  DeviceBuffer tokens_copy, cos_copy, sin_copy, rows_copy, targets_copy, cat_copy;  // device backends only
};

// What a training forward keeps for its backward. Reuse one ForwardState across steps: its buffers keep their
// capacity, so a step allocates (and page-faults) nothing new.
struct ForwardState {
  bool recompute = false;  // keep only each layer's input; recompute the layer in the backward
  std::vector<LayerActs> layers;
  DeviceBuffer x_final, rstd_final, h_final;
  DeviceBuffer h_targets;      // [Nt, C]: normed hidden of rows with a target
  DeviceBuffer logp, entropy;  // [Nt] on device backends (the caller's vectors on the CPU)
  BatchInputs in;
  // backward scratch
  LayerGrads layer_grads;
  DeviceBuffer d_targets, d_hidden, d_residual, recompute_out, dlogp;
};

// Log-probs [Nt] of each segment's tokens 1..len-1 given the tokens before them, in segment order; optional
// entropies [Nt]. With state != nullptr everything needed by model_backward_logprobs is kept.
absl::StatusOr<std::vector<float>> model_forward_logprobs(Model& m, const PackedBatch& b, ForwardState* state,
                                                          const LmHeadOptions& opt,
                                                          std::vector<float>* entropy = nullptr);
// Accumulates into the gradients (m.g: m.grads on the CPU, the backend's copy on a device; call
// model_grads_enable first) the gradient of sum_n dlogp[n] * logp[n]. b and state must be the batch and
// state of the model_forward_logprobs call that computed those log-probs.
void model_backward_logprobs(Model& m, const PackedBatch& b, ForwardState& state,
                             const std::vector<float>& dlogp, const LmHeadOptions& opt);

// Reward models (cfg.num_labels > 0): the score head at each segment's last non-pad token, [segments,
// num_labels] row-major, as transformers' *ForSequenceClassification computes it. Forward only.
absl::Status model_forward_sequence_scores(Model& m, const PackedBatch& b, std::vector<float>* scores);
// Runs the batch against the cache and writes float32 logits [S, V] (host memory) of each segment's last
// token.
absl::Status model_forward_last_logits(Model& m, const PackedBatch& b, KvCache& cache, float* logits);

}  // namespace ascent
