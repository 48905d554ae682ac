// The recipe's `generation:` section (keys in docs/recipes.md) and the decode settings it resolves to for one
// model (token ids of the stops and of the interruption text), shared by the actor, validation and SFT:
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
//                    text: "\n\nOkay, time is up. Let me stop thinking and formulate a final answer now.\n</think>\n\n"}
// Errors name file:line and the dotted key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "generation/continuous_batcher.h"
#include "generation/sampler.h"
#include "generation/tool_config.h"
#include "model/model.h"
#include "model/tokenizer/text_codec.h"
#include "yaml-cpp/yaml.h"

namespace ascent {

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
  ToolsConfig tools;  // the recipe's top-level `tools:` section (generation/tool_config.h)
};

absl::StatusOr<GenerationConfig> generation_config_parse(const YAML::Node& node, const std::string& file);

// How completions are generated, resolved for one model: the engine's size (slots, max_len) and what every
// request carries (sampling, stops as ids and strings, forced interruption with its text as tokens).
struct DecodeSettings {
  int64_t slots = 16, max_len = 1024;
  int64_t max_tokens = 256;
  SamplerConfig sampler;
  InterruptConfig interrupt;
  std::vector<int32_t> stop_ids;
  std::vector<std::string> stop_strings;
  ToolsConfig tools;  // on(): requests get max_turns and a total budget; the caller sets the hook
};

// The recipe's section for model m: the model's eos ids become stop ids, the interruption text is encoded
// (the </think> id is looked up in the codec), max_len 0 becomes the longest a request can need. Errors: no
// single </think> token, max_len beyond the model's context.
absl::StatusOr<DecodeSettings> decode_settings_make(const GenerationConfig& g, const Model& m,
                                                    TextCodec* codec);

// A request of n completions of `prompt` under these settings (random streams from `seed`).
GenRequest decode_settings_request(const DecodeSettings& s, int64_t id, std::vector<int32_t> prompt,
                                   int64_t n, uint64_t seed);

}  // namespace ascent
