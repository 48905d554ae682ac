// Hugging Face tokenizers from tokenizer.json against the reference ids of the `tokenizers` library
// (tests/reference/make_tokenizer_reference.py -> tests/fixtures/tokenizer/corpus.jsonl): Qwen3 (Apache-2.0)
// and Llama-3.1 (Llama 3.1 Community License), both committed under tests/fixtures/tokenizer with their licence.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/tokenizer/hf_tokenizer.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

std::string tokenizer_path(const std::string& name) {
  return ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/" + name;
}

std::vector<nlohmann::json> corpus() {
  std::ifstream f(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/corpus.jsonl");
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(f, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

class TokenizerReference : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerReference, EncodesTokenForTokenAndDecodesBack) {
  const std::string name = GetParam(), path = tokenizer_path(name);
  ASSERT_TRUE(std::filesystem::exists(path + "/tokenizer.json"))
      << path << "/tokenizer.json is missing (tests/fixtures/tokenizer/README.md)";
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(path);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const std::vector<nlohmann::json> rows = corpus();
  ASSERT_GE(rows.size(), 30u);
  for (const nlohmann::json& r : rows) {
    const std::string text = r["text"];
    absl::StatusOr<std::vector<int32_t>> ids = (*tok)->encode(text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    const std::vector<int32_t> want = r[name].get<std::vector<int32_t>>();
    EXPECT_EQ(*ids, want) << name << " on: " << text;
    EXPECT_EQ((*tok)->decode(want), r[name + "_decoded"].get<std::string>()) << text;
    // Streaming decode, token by token, gives the same text.
    StreamDecoder stream(**tok);
    std::string streamed;
    for (int32_t id : want) streamed += stream.push(id);
    streamed += stream.finish();
    EXPECT_EQ(streamed, r[name + "_decoded"].get<std::string>()) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, TokenizerReference, ::testing::Values("qwen3", "llama3_1"));

TEST(Tokenizer, StreamingHoldsBackAnIncompleteCharacter) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(tokenizer_path("qwen3"));
  ASSERT_TRUE(tok.ok()) << tok.status();
  // "😀" is 4 bytes; find byte-level single-byte tokens for them and stream them one by one.
  const std::string emoji = "\xF0\x9F\x98\x80";
  std::vector<int32_t> bytes;
  for (unsigned char c : emoji) {
    // The byte-level character of c is a vocabulary entry of its own.
    std::string b(1, static_cast<char>(c));
    int32_t id = -1;
    for (int32_t k = 0; k < (*tok)->vocab_size() && id < 0; ++k) {
      if ((*tok)->token_bytes(k) == b) id = k;
    }
    ASSERT_GE(id, 0);
    bytes.push_back(id);
  }
  StreamDecoder stream(**tok);
  EXPECT_EQ(stream.push(bytes[0]), "");
  EXPECT_EQ(stream.push(bytes[1]), "");
  EXPECT_EQ(stream.push(bytes[2]), "");
  EXPECT_EQ(stream.push(bytes[3]), emoji);
  // Cut short: the held bytes come out as one replacement character.
  StreamDecoder cut(**tok);
  cut.push(bytes[0]);
  cut.push(bytes[1]);
  EXPECT_EQ(cut.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ((*tok)->decode({bytes[0], bytes[1]}), "\xEF\xBF\xBD");
}

// Added tokens with lstrip/rstrip take every Unicode White_Space character next to them (CR, no-break space,
// ideographic space...), and nothing else: the Qwen3 file with the flags set, against tokenizers
// (tests/reference/make_whitespace_reference.py -> tests/fixtures/tokenizer/strip.jsonl).
TEST(Tokenizer, AddedTokensStripUnicodeWhitespaceAsTokenizersDoes) {
  nlohmann::json spec = nlohmann::json::parse(std::ifstream(tokenizer_path("qwen3") + "/tokenizer.json"));
  for (auto& t : spec["added_tokens"]) {
    const std::string c = t["content"];
    if (c == "<|im_start|>") t["lstrip"] = true, t["rstrip"] = true;
    if (c == "<|im_end|>") t["lstrip"] = true;
    if (c == "<|endoftext|>") t["rstrip"] = true;
  }
  const std::string path = testing::TempDir() + "/strip_tokenizer.json";
  std::ofstream(path) << spec.dump();
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(path);
  ASSERT_TRUE(tok.ok()) << tok.status();
  std::ifstream f(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/strip.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    absl::StatusOr<std::vector<int32_t>> ids = (*tok)->encode(r["text"].get<std::string>());
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, r["ids"].get<std::vector<int32_t>>()) << r["text"].dump();
    ++n;
  }
  EXPECT_EQ(n, 145);
}

TEST(Tokenizer, InvalidUtf8AndBadFilesAreErrors) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(tokenizer_path("qwen3"));
  ASSERT_TRUE(tok.ok());
  absl::StatusOr<std::vector<int32_t>> ids = (*tok)->encode("ok \xC3\x28 bad");
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.status().message().find("not valid UTF-8 at byte 3"), std::string::npos) << ids.status();
  const std::string bad = testing::TempDir() + "/bad_tokenizer.json";
  std::ofstream(bad) << R"({"model": {"type": "Unigram", "vocab": []}, "pre_tokenizer": null})";
  absl::StatusOr<std::unique_ptr<HfTokenizer>> b = HfTokenizer::load(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("model.type: only BPE"), std::string::npos) << b.status();
  EXPECT_FALSE(HfTokenizer::load("/nonexistent/tokenizer.json").ok());
}

}  // namespace

}  // namespace ascent
