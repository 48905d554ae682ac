// `ascent import gguf`: a GGUF file (llama.cpp) to a Hugging Face model directory that ascent and
// transformers load:
//   config.json            LlamaForCausalLM from the llama.* metadata (block_count, embedding_length,
//                          feed_forward_length, attention.head_count(_kv), layer_norm_rms_epsilon,
//                          rope.freq_base, rope.dimension_count, context_length); tied embeddings when the
//                          file has no output.weight;
//   model.safetensors      every tensor dequantised (model/gguf/gguf_dequant.h) to float32 (or bfloat16),
//                          under its Hugging Face name; attn_q / attn_k rows put back in Hugging Face's RoPE
//                          order (llama.cpp's converter interleaves the two halves of each head; undone here);
//   tokenizer.json         byte-level BPE from tokenizer.ggml.tokens / merges / token_type: control tokens
//                          (type 3) become special added tokens, user-defined ones (type 4) plain added tokens;
//                          the split regex from tokenizer.ggml.pre, as transformers builds it from a GGUF;
//   tokenizer_config.json  tokenizer.chat_template, the bos/eos/unk/pad tokens, add_bos_token.
// Refused with an error naming the key or tensor: other architectures, sentencepiece vocabularies, unknown
// pre-tokenizers, quantisations other than F32/F16/BF16/Q4_0/Q4_1/Q8_0, llama3 RoPE scaling (rope_freqs),
// tensors that no Hugging Face name takes, shapes that do not match the metadata.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "model/dtype.h"

namespace ascent {

struct GgufImportReport {
  int64_t tensors = 0;
  int64_t params = 0;
  std::string quant_types;  // e.g. "F32 x61, Q4_1 x210, Q8_0 x1"
};

absl::Status gguf_import(const std::string& gguf_path, const std::string& out_dir, DType dtype,
                         GgufImportReport* report = nullptr);

}  // namespace ascent
