// The recipe's `generation:` section (the actor's settings; keys in docs/recipes.md) and how a prompt's text
// becomes the model's input:
//   generation:
//     template: "{prompt}"      # a format string ({prompt} replaced), or "chat": the model's chat template
//     system: ""                # with template chat: a system message
//     thinking: true            # with template chat (Qwen3): false adds an empty <think></think>
//     max_tokens: 256           # sampled tokens per completion (the thinking phase with interruption)
//     temperature: 1.0
//     top_p: 1.0
//     top_k: 0
//     stop: []                  # stop strings (the model's eos ids always stop)
//     slots: 64                 # sequences decoded at once per actor
//     max_len: 0                # prompt + completion tokens per slot (0: the longest a request can need)
//     prompt_max_tokens: 512    # a longer prompt is an error naming it (with max_len 0)
//     interruption: {enabled: false, min_tokens: 0, max_tokens: 0, solution_tokens: 256,
//                    text: "\n\nOkay, time is up. Let me stop thinking and formulate a final answer
//                    now.\n</think>\n\n"}
// Errors name file:line and the dotted key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "actor/actor_loop.h"
#include "model/tokenizer/text_codec.h"
#include "yaml-cpp/yaml.h"

struct GenerationConfig {
  std::string tmpl = "{prompt}";
  std::string system;
  bool thinking = true;
  int64_t max_tokens = 256;
  SamplerConfig sampler;
  std::vector<std::string> stop;
  int64_t slots = 64, max_len = 0, prompt_max_tokens = 512;
  bool interrupt = false;
  int64_t interrupt_min = 0, interrupt_max = 0, solution_tokens = 256;
  std::string interrupt_text =
      "\n\nOkay, time is up. Let me stop thinking and formulate a final answer now.\n</think>\n\n";
};

absl::StatusOr<GenerationConfig> generation_config_parse(const YAML::Node& node, const std::string& file);

// Encode / decode / token bytes for a model directory's codec and the recipe's template. The codec must
// outlive the result.
ActorText actor_text_make(TextCodec* codec, const GenerationConfig& g);

// The actor's settings from the recipe: generation, group size and max_lag from `algorithm:`, the model's eos
// ids as stop ids, forced interruption with its text encoded (the </think> id is looked up in the codec).
absl::StatusOr<ActorConfig> actor_config_make(const GenerationConfig& g, int64_t group_size, int64_t max_lag,
                                              const Model& m, TextCodec* codec);
