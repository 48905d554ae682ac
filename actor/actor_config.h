// The actor's settings: how it decodes (generation/generation_config.h's DecodeSettings), the group size and
// lag bound from the recipe's `algorithm:` section, and its own timing (heartbeats, lost learner, window).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "generation/generation_config.h"
#include "model/lora.h"
#include "model/model.h"
#include "model/tokenizer/text_codec.h"
#include "transport/auth.h"

namespace ascent {

struct ActorConfig {
  std::string name = "actor-0";
  std::string incarnation;  // "" : name + a random suffix, new at every start
  DecodeSettings decode;
  int64_t group_size = 8;  // completions per prompt (G)
  int64_t max_lag = 8;
  size_t window = 8;     // unacked groups in flight to the learner
  int64_t prefetch = 0;  // leases held beyond the running ones (0: slots / group_size)
  double register_timeout_s = 120;
  double learner_lost_s = 60;  // the learner unreachable this long ends the actor with an error
  double weight_poll_s = 0.02;
  int64_t max_groups = 0;  // stop after this many leases (0: until the learner says finished)
  // LoRA RL (model/lora.h): the learner publishes the adapters only; the actor merges them into its own copy
  // of the base model (the recipe's model.lora; set by the caller).
  std::optional<LoraConfig> lora;
  // Its name's token and the CA of the learner's certificate (transport/auth.h); name is set from `name`.
  ClientCredentials credentials;
};

// The recipe's generation section resolved for model m, with G and max_lag from `algorithm:`. Errors:
// decode_settings_make's, and fewer slots than a group needs.
absl::StatusOr<ActorConfig> actor_config_make(const GenerationConfig& g, int64_t group_size, int64_t max_lag,
                                              const Model& m, TextCodec* codec);

}  // namespace ascent
