#include "model/gguf/gguf_tokenizer.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/tokenizer/byte_level.h"

namespace ascent {

namespace {

constexpr int64_t kControl = 3, kUserDefined = 4;  // llama.cpp's token types

const char* const kLlama3Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The pre_tokenizer of tokenizer.json for tokenizer.ggml.pre; null when the name is unknown.
nlohmann::json pre_tokenizer_for(const std::string& pre) {
  const nlohmann::json byte_level_gpt2 = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  const std::map<std::string, const char*> splits = {
      {"llama-bpe", kLlama3Split}, {"llama3", kLlama3Split},         {"llama-v3", kLlama3Split},
      {"smaug-bpe", kLlama3Split}, {"dbrx", kLlama3Split},           {"falcon3", kLlama3Split},
      {"qwen2", kQwen2Split},      {"deepseek-r1-qwen", kQwen2Split}};
  if (pre == "default" || pre == "gpt2" || pre == "gpt-2" || pre == "smollm") return byte_level_gpt2;
  auto it = splits.find(pre);
  if (it == splits.end()) return nullptr;
  return {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern", {{"Regex", it->second}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
}

// A vocabulary entry in the byte-level alphabet (already so for llama.cpp's gpt2 files; any other spelling
// is the UTF-8 text of the token, respelled). A token wholly in the alphabet survives decode and re-encode.
std::string byte_level_spelling(const std::string& token) {
  return byte_level_encode(byte_level_decode(token)) == token ? token : byte_level_encode(token);
}

}  // namespace

absl::StatusOr<nlohmann::json> gguf_tokenizer_json(const GgufFile& f) {
  ASCENT_ASSIGN_OR_RETURN(std::string model, f.get_string("tokenizer.ggml.model"));
  if (model != "gpt2") {
    return absl::UnimplementedError(absl::StrCat(f.path(), ": tokenizer.ggml.model: '", model,
                                                 "' is not imported (byte-level BPE, 'gpt2', is)"));
  }
  std::string pre = "default";
  if (f.metadata().count("tokenizer.ggml.pre")) {
    ASCENT_ASSIGN_OR_RETURN(pre, f.get_string("tokenizer.ggml.pre"));
  }
  nlohmann::json pre_tokenizer = pre_tokenizer_for(pre);
  if (pre_tokenizer.is_null()) {
    return absl::UnimplementedError(
        absl::StrCat(f.path(), ": tokenizer.ggml.pre: '", pre,
                     "' is not a pre-tokenizer ascent knows (model/gguf/gguf_tokenizer.h)"));
  }
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* tokens,
                          f.get("tokenizer.ggml.tokens", GgufValue::Kind::kStringArray));
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* merges,
                          f.get("tokenizer.ggml.merges", GgufValue::Kind::kStringArray));
  std::vector<int64_t> types(tokens->strings.size(), 1);
  if (f.metadata().count("tokenizer.ggml.token_type")) {
    ASCENT_ASSIGN_OR_RETURN(const GgufValue* t,
                            f.get("tokenizer.ggml.token_type", GgufValue::Kind::kIntArray));
    if (t->ints.size() != types.size()) {
      return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tokenizer.ggml.token_type has ",
                                                     t->ints.size(), " entries for ", types.size(),
                                                     " tokens"));
    }
    types = t->ints;
  }
  nlohmann::json vocab = nlohmann::json::object(), added = nlohmann::json::array();
  for (size_t id = 0; id < tokens->strings.size(); ++id) {
    const std::string& tok = tokens->strings[id];
    const std::string spelled = byte_level_spelling(tok);
    if (vocab.contains(spelled)) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.path(), ": tokenizer.ggml.tokens[", id, "]: '", tok, "' appears twice"));
    }
    vocab[spelled] = id;
    // A control token spelled outside the byte-level alphabet would be a mislabelled one (transformers skips
    // it too: it cannot be part of this vocabulary's text).
    if ((types[id] == kControl && spelled == tok) || types[id] == kUserDefined) {
      added.push_back({{"id", id},
                       {"content", tok},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", types[id] == kControl}});
    }
  }
  nlohmann::json merge_list = nlohmann::json::array();
  for (const std::string& m : merges->strings) merge_list.push_back(m);
  return nlohmann::json{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer},
      {"post_processor",
       {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder",
       {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merge_list}}}};
}

absl::StatusOr<nlohmann::json> gguf_tokenizer_config_json(const GgufFile& f) {
  ASCENT_ASSIGN_OR_RETURN(const GgufValue* tokens,
                          f.get("tokenizer.ggml.tokens", GgufValue::Kind::kStringArray));
  nlohmann::json cfg = {{"tokenizer_class", "GPT2Tokenizer"}, {"clean_up_tokenization_spaces", false}};
  for (const auto& [name, key] :
       std::vector<std::pair<std::string, std::string>>{{"bos_token", "bos_token_id"},
                                                        {"eos_token", "eos_token_id"},
                                                        {"unk_token", "unknown_token_id"},
                                                        {"pad_token", "padding_token_id"}}) {
    if (!f.metadata().count("tokenizer.ggml." + key)) continue;
    ASCENT_ASSIGN_OR_RETURN(int64_t id, f.get_int("tokenizer.ggml." + key));
    if (id < 0 || id >= static_cast<int64_t>(tokens->strings.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.path(), ": tokenizer.ggml.", key, " = ", id, " is outside the vocabulary"));
    }
    cfg[name] = tokens->strings[static_cast<size_t>(id)];
  }
  for (const char* flag : {"add_bos_token", "add_eos_token"}) {
    auto it = f.metadata().find(absl::StrCat("tokenizer.ggml.", flag));
    cfg[flag] = it != f.metadata().end() && it->second.i != 0;
  }
  if (f.metadata().count("tokenizer.chat_template")) {
    ASCENT_ASSIGN_OR_RETURN(cfg["chat_template"], f.get_string("tokenizer.chat_template"));
  }
  return cfg;
}

}  // namespace ascent
