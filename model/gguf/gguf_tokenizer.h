// The Hugging Face tokenizer files of a GGUF's vocabulary (model/gguf/gguf_import.h): tokenizer.json for a
// byte-level BPE (tokenizer.ggml.model "gpt2") and tokenizer_config.json. The split regex follows
// tokenizer.ggml.pre the way transformers reads a GGUF: the Llama-3 pattern for llama-bpe / llama3 /
// llama-v3 / smaug-bpe / dbrx / falcon3, Qwen2's for qwen2 / deepseek-r1-qwen, GPT-2's ByteLevel pattern for
// default / gpt2 / gpt-2 / smollm (llama.cpp also splits digits one by one for smollm; transformers does
// not, and SmolLM2's vocabulary has no multi-digit token, so the ids agree). Others are refused.
#pragma once

#include "absl/status/statusor.h"
#include "model/gguf/gguf_file.h"
#include "nlohmann/json.hpp"

namespace ascent {

absl::StatusOr<nlohmann::json> gguf_tokenizer_json(const GgufFile& f);
absl::StatusOr<nlohmann::json> gguf_tokenizer_config_json(const GgufFile& f);

}  // namespace ascent
