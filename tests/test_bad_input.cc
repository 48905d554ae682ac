// Bad input of every kind found by probing (issue: reliability under faults and bad input): each becomes a
// clear error naming the file and field, before anything is allocated from it, never a crash, an uncaught
// exception, a wrapped id or an out-of-bounds write. Each case here crashed, aborted or misread before.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/json_file.h"
#include "core/jsonl_input.h"
#include "core/line_process.h"
#include "job/prompt_data.h"
#include "job/recipe.h"
#include "model/kv_cache.h"
#include "model/tokenizer/hf_tokenizer.h"
#include "nlohmann/json.hpp"
#include "rewards/math_verify.h"
#include "tests/model_fixtures.h"
#include "tests/scratch.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  return scratch_dir("bad_input", name);
}

std::string deep(int levels) {
  return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']');
}

// A saved small model whose config.json gets `patch` applied.
std::string model_with_config(const std::string& name, const nlohmann::json& patch) {
  const std::string dir = fresh_dir(name);
  Model m = test_model(ModelArch::kLlama, false, 3);
  EXPECT_TRUE(model_save(m, dir).ok());
  nlohmann::json cfg;
  std::ifstream(dir + "/config.json") >> cfg;
  cfg.merge_patch(patch);
  std::ofstream(dir + "/config.json") << cfg.dump();
  return dir;
}

TEST(BadInput, ConfigSizesAreBoundedAndCheckedAgainstTheWeightsBeforeAllocating) {
  struct Case {
    nlohmann::json patch;
    const char* expect;
  };
  const Case cases[] = {
      {{{"hidden_size", 1000000000}}, "'hidden_size': must be <= 65536"},
      {{{"num_hidden_layers", 1000000}}, "'num_hidden_layers': must be <= 1024"},
      {{{"vocab_size", int64_t{1} << 40}}, "'vocab_size': must be <= 4194304"},
      {{{"max_position_embeddings", -3}}, "'max_position_embeddings': must be > 0"},
      {{{"rope_scaling", {{"rope_type", 5}}}}, "'rope_scaling.rope_type': expected a string, got 5"},
      // Within every bound, but 16x the parameters the file holds: refused by size, not by bad_alloc.
      {{{"hidden_size", 4096}, {"num_attention_heads", 32}, {"num_key_value_heads", 8}},
       "config.json does not belong to these weights"},
  };
  for (const Case& c : cases) {
    const std::string dir = model_with_config("config", c.patch);
    auto m = model_load(dir);
    ASSERT_FALSE(m.ok()) << c.patch.dump();
    EXPECT_NE(status_text(m.status()).find(c.expect), std::string::npos) << m.status();
    EXPECT_NE(status_text(m.status()).find(dir + "/config.json"), std::string::npos) << m.status();
  }
}

// A copy of the Qwen3 tokenizer with one vocabulary entry's id (or an added token's) replaced.
std::string tokenizer_with(const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j;
  std::ifstream(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/qwen3/tokenizer.json") >> j;
  edit(j);
  const std::string dir = fresh_dir(name);
  std::ofstream(dir + "/tokenizer.json") << j.dump();
  return dir;
}

TEST(BadInput, TokenizerIdsOutsideTheVocabularyRangeAreRefusedNotWrappedOrWritten) {
  for (const nlohmann::json& id : {nlohmann::json(-5), nlohmann::json(2147483600),
                                   nlohmann::json(int64_t{1} << 40), nlohmann::json(uint64_t{1} << 63)}) {
    const std::string dir =
        tokenizer_with("vocab", [&](nlohmann::json& j) { j["model"]["vocab"]["#"] = id; });
    auto t = HfTokenizer::load(dir);
    ASSERT_FALSE(t.ok()) << id;
    EXPECT_NE(
        status_text(t.status()).find("model.vocab[\"#\"]: id " + id.dump() + " is outside [0, 4194304)"),
        std::string::npos)
        << t.status();
  }
  const std::string dir =
      tokenizer_with("added", [](nlohmann::json& j) { j["added_tokens"][0]["id"] = int64_t{1} << 40; });
  auto t = HfTokenizer::load(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(status_text(t.status()).find("added_tokens: id 1099511627776 is outside"), std::string::npos)
      << t.status();
}

// Found by fuzz/fuzz_tokenizer_load.cc: a tokenizer.json without "model" (or a Sequence pre-tokenizer without
// its list) was read through nlohmann's const operator[], which reads past the map (heap-use-after-free).
TEST(BadInput, MissingTokenizerSectionsAreErrorsNotReadsPastTheMap) {
  for (const char* drop : {"model", "pre_tokenizer"}) {
    const std::string dir =
        tokenizer_with(std::string("missing_") + drop, [&](nlohmann::json& j) { j.erase(drop); });
    auto t = HfTokenizer::load(dir);
    ASSERT_FALSE(t.ok()) << drop;
    EXPECT_NE(status_text(t.status()).find(dir + "/tokenizer.json"), std::string::npos) << t.status();
  }
  const std::string dir = tokenizer_with("bare_sequence", [](nlohmann::json& j) {
    j["pre_tokenizer"] = {{"type", "Sequence"}};
    j["model"].erase("merges");
  });
  EXPECT_FALSE(HfTokenizer::load(dir).ok());
}

// Found by fuzz/fuzz_recipe.cc: a map used as a key aborted in yaml-cpp's conversion.
TEST(BadInput, ARecipeWithAMapAsAKeyIsAnErrorNotAnAbort) {
  for (const char* yaml :
       {"? {a: 1}\n: 2\n", "model: {path: m}\n? [x]\n: 1\n", "run:\n  ? {steps: 1}\n  : 3\n"}) {
    auto r = recipe_parse(yaml, "/tmp/r/recipe.yaml");
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_NE(status_text(r.status()).find("/tmp/r/recipe.yaml:"), std::string::npos) << r.status();
  }
}

// Found by fuzz/fuzz_math_verify.cc: GiNaC throws from inside pow() for 0^0, 0^-k and a number to a complex
// power, and leaks the half-built power each time (ASan); the parser refuses them first.
TEST(BadInput, PowersGiNaCCannotEvaluateAreParseErrors) {
  for (const char* answer : {"0^0", "0^{-2}", "3e10^i"}) {
    const VerifyResult v = math_verify_answers("1", answer);
    EXPECT_FALSE(v.correct) << answer;
    EXPECT_NE(v.reason.find("parse error"), std::string::npos) << answer << ": " << v.reason;
  }
  EXPECT_TRUE(math_verify_answers("1", "0^{0+1} + 1").correct) << "0^1 is still a number";
}

TEST(BadInput, IllTypedTokenizerFieldsAreErrorsNamingTheFile) {
  const std::string dir =
      tokenizer_with("typed", [](nlohmann::json& j) { j["added_tokens"][0]["content"] = 7; });
  auto t = HfTokenizer::load(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(status_text(t.status()).find(dir + "/tokenizer.json: "), std::string::npos) << t.status();
}

TEST(BadInput, ANulByteInTextIsEncodedNotACutOff) {
  // The normaliser (NFC for Qwen3) cut the text at its first NUL. Reference ids from Hugging Face tokenizers
  // 0.23.3 on the same tokenizer.json: Tokenizer.encode("a\x00b") and ("e\u0301\x00 x\x00"), no specials.
  auto t = HfTokenizer::load(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/qwen3/tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.status();
  auto a = (*t)->encode(std::string("a\0b", 3));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<int32_t>{64, 188, 65}));
  auto b = (*t)->encode(std::string("e\xCC\x81\0 x\0", 7));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<int32_t>{963, 188, 856, 188}))
      << "NFC composes e + U+0301 and keeps what follows";
}

TEST(BadInput, JsonNestedTooDeepIsRefusedBeforeParsing) {
  EXPECT_TRUE(json_depth_ok(deep(128)));
  EXPECT_FALSE(json_depth_ok(deep(129)));
  EXPECT_TRUE(json_depth_ok("{\"a\": \"[[[[[[[[ in a string \\\" ]]\"}", 1))
      << "brackets in strings do not count";
  const std::string dir = fresh_dir("deep");
  const std::string path = dir + "/train.jsonl";
  std::ofstream(path) << "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n"
                      << "{\"prompt\": \"2+2=\", \"answer\": \"4\", \"metadata\": {\"x\": " << deep(100000)
                      << "}}\n";
  auto got = prompt_data_read_jsonl(path);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(status_text(got.status()).find(path + ":2: nests deeper than 128 levels"), std::string::npos)
      << got.status();
  std::ofstream(dir + "/config.json") << "{\"a\": " << deep(5000) << "}";
  auto cfg = json_file_read_object(dir + "/config.json");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(status_text(cfg.status()).find("nests deeper"), std::string::npos);
}

TEST(BadInput, PromptsThatCannotRunAreRefusedAtLoadWithFileAndLine) {
  const std::string dir = fresh_dir("prompts");
  const std::string path = dir + "/train.jsonl";
  std::ofstream(path) << "{\"prompt\": \"1+1=\"}\n\n{\"prompt\": \"\"}\n";
  auto got = prompt_data_read_jsonl(path);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(status_text(got.status()).find(path + ":3: \"prompt\" is empty"), std::string::npos)
      << got.status();
  // 5 MiB of text and the metadata "{}" that a line without any gets.
  std::ofstream(path) << "{\"prompt\": \"1+1=\"}\n{\"prompt\": \"" << std::string(5 << 20, 'x') << "\"}\n";
  got = prompt_data_read_jsonl(path);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(status_text(got.status()).find(path + ":2: prompt, answer and metadata are 5242882 bytes"),
            std::string::npos)
      << got.status();
  std::ofstream(path) << "{\"prompt\": \"1+1=\"}\n";
  got = prompt_data_read_jsonl(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)[0].source, path + ":1") << "kept for the token-length check at the learner's start";
}

TEST(BadInput, RecipeSizesAreBoundedWithTheFieldNamed) {
  const std::string base = "model: {path: m}\ndata: {builtin: arithmetic}\n";
  struct Case {
    const char* yaml;
    const char* field;
  };
  const Case cases[] = {
      {"generation: {slots: 1000000000}\n", "generation.slots"},
      {"generation: {slots: 4096}\nalgorithm: {group_size: 1000000}\n", "algorithm.group_size"},
      {"run: {validation: {samples: 1000000000}}\n", "run.validation.samples"},
      {"run: {learner_threads: 1000000}\n", "run.learner_threads"},
      {"run: {weight_bucket_mb: 9000000000000000}\n", "run.weight_bucket_mb"},
      {"generation: {max_tokens: 100000000}\n", "generation.max_tokens"},
      {"name: \"..\"\n", "name"},
  };
  for (const Case& c : cases) {
    auto r = recipe_parse(base + c.yaml, "/tmp/r/recipe.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(status_text(r.status()).find(c.field), std::string::npos) << c.yaml << ": " << r.status();
    EXPECT_NE(status_text(r.status()).find("/tmp/r/recipe.yaml:"), std::string::npos) << r.status();
  }
}

TEST(BadInput, AKvCacheLargerThanMemoryIsRefusedBeforeAllocating) {
  Model m = test_model(ModelArch::kQwen3, false, 1);
  const int64_t per_position = 2 * 4 * m.cfg.num_layers * m.cfg.num_kv_heads * m.cfg.head_dim;
  EXPECT_EQ(kv_cache_bytes(m.cfg, 3, 10), 30 * per_position) << "keys and values, float32, every layer";
  EXPECT_EQ(kv_cache_bytes(m.cfg, int64_t{1} << 40, int64_t{1} << 40), std::numeric_limits<int64_t>::max())
      << "saturates instead of wrapping";
  EXPECT_TRUE(kv_cache_check_fits(m.cfg, 4, 64, "x").ok());
  absl::Status st = kv_cache_check_fits(m.cfg, 4096, int64_t{1} << 21, "generation.slots x positions");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status_text(st).find("generation.slots x positions: a KV cache of 4096 slots"), std::string::npos)
      << st;
}

// A helper process (the jinja2 renderer, a reward server's greeting) that writes without a newline cannot
// make us hold more than the line limit: an error, and the process is stopped.
TEST(BadInput, AnEndlessReplyLineIsAnErrorAtTheLimit) {
  absl::StatusOr<LineProcess> p =
      LineProcess::start({"sh", "-c", "read x; echo \"$x\"; read x; head -c 3000000 /dev/zero | tr '\\0' x"});
  ASSERT_TRUE(p.ok()) << p.status();
  p->set_max_line_bytes(1 << 20);
  absl::StatusOr<std::string> r = p->request("first", 10);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "first");
  r = p->request("second", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_NE(r.status().message().find("the limit is 1048576"), std::string::npos) << r.status();
  EXPECT_FALSE(p->running());
}

}  // namespace
}  // namespace ascent
