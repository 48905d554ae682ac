// GGUF import on small files this test writes byte by byte (the layout of model/gguf/gguf_file.h): the
// dequantisation formulas on hand-made blocks, llama.cpp's Q/K row order undone (rows traced by hand), the
// config and tokenizer files, and the errors (truncation, an unread type, a missing or unknown tensor, a
// sentencepiece vocabulary), each naming what is wrong. The real model against transformers:
// tests/gguf_import_test.py.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "model/gguf/gguf_dequant.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_import.h"
#include "model/safetensors.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

// A GGUF v3 file built in memory.
class GgufWriter {
 public:
  void kv_u32(const std::string& k, uint32_t v) { key(k, 4), put(v), ++n_kv_; }
  void kv_f32(const std::string& k, float v) { key(k, 6), put(v), ++n_kv_; }
  void kv_str(const std::string& k, const std::string& v) { key(k, 8), str(v), ++n_kv_; }
  void kv_strs(const std::string& k, const std::vector<std::string>& v) {
    key(k, 9), put(uint32_t{8}), put(uint64_t{v.size()});
    for (const auto& s : v) str(s);
    ++n_kv_;
  }
  void kv_i32s(const std::string& k, const std::vector<int32_t>& v) {
    key(k, 9), put(uint32_t{5}), put(uint64_t{v.size()});
    for (int32_t x : v) put(x);
    ++n_kv_;
  }
  // ne in ggml order; data already in the type's layout.
  void tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, const std::string& bytes) {
    infos_.push_back({name, std::move(ne), type, data_.size()});
    data_ += bytes;
    while (data_.size() % 32 != 0) data_ += '\0';
  }
  std::string bytes() const {
    std::string out;
    const auto w = [&](const auto& v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    w(uint32_t{0x46554747}), w(uint32_t{3}), w(uint64_t{infos_.size()}), w(n_kv_);
    out += kv_;
    for (const Info& t : infos_) {
      w(uint64_t{t.name.size()});
      out += t.name;
      w(static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) w(d);
      w(t.type), w(t.offset);
    }
    while (out.size() % 32 != 0) out += '\0';
    return out + data_;
  }
  std::string save(const std::string& name) const {
    const std::string path = testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes();
    return path;
  }

 private:
  struct Info {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    uint64_t offset;
  };
  template <typename T>
  void put(T v) {
    kv_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void str(const std::string& s) { put(uint64_t{s.size()}), kv_ += s; }
  void key(const std::string& k, uint32_t type) { str(k), put(type); }
  std::string kv_, data_;
  uint64_t n_kv_ = 0;
  std::vector<Info> infos_;
};

std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

TEST(Gguf, DequantisesQ8_0Q4_0Q4_1AsTheFormulasSay) {
  // One block each. d = 0.5 (f16 0x3800), m = -1 (f16 0xBC00).
  std::string q8(2 + 32, '\0'), q40(2 + 16, '\0'), q41(4 + 16, '\0');
  q8[0] = 0x00, q8[1] = 0x38;
  for (int j = 0; j < 32; ++j) q8[2 + j] = static_cast<char>(j - 16);
  q40[0] = 0x00, q40[1] = 0x38;
  q41[0] = 0x00, q41[1] = 0x38, q41[2] = 0x00, q41[3] = static_cast<char>(0xBC);
  for (int j = 0; j < 16; ++j) {
    q40[2 + j] = static_cast<char>((15 - j) << 4 | j);  // low nibble j, high nibble 15 - j
    q41[4 + j] = static_cast<char>((15 - j) << 4 | j);
  }
  float x[32];
  ASSERT_TRUE(ggml_dequantize(kGgmlQ8_0, reinterpret_cast<const uint8_t*>(q8.data()), 32, x).ok());
  EXPECT_EQ(x[0], -8.0f);  // 0.5 * -16
  EXPECT_EQ(x[31], 7.5f);  // 0.5 * 15
  ASSERT_TRUE(ggml_dequantize(kGgmlQ4_0, reinterpret_cast<const uint8_t*>(q40.data()), 32, x).ok());
  EXPECT_EQ(x[0], -4.0f);   // 0.5 * (0 - 8)
  EXPECT_EQ(x[15], 3.5f);   // 0.5 * (15 - 8)
  EXPECT_EQ(x[16], 3.5f);   // high nibble of byte 0: 15
  EXPECT_EQ(x[31], -4.0f);  // high nibble of byte 15: 0
  ASSERT_TRUE(ggml_dequantize(kGgmlQ4_1, reinterpret_cast<const uint8_t*>(q41.data()), 32, x).ok());
  EXPECT_EQ(x[0], -1.0f);  // 0.5 * 0 - 1
  EXPECT_EQ(x[15], 6.5f);  // 0.5 * 15 - 1
  EXPECT_EQ(x[16], 6.5f);
  EXPECT_EQ(x[31], -1.0f);
  EXPECT_EQ(ggml_type_bytes(kGgmlQ4_1, 64), 40);
  EXPECT_EQ(ggml_type_bytes(kGgmlQ4_1, 33), -1);  // not whole blocks
  const absl::Status s = ggml_dequantize(12, nullptr, 256, x);
  EXPECT_NE(s.message().find("Q4_K"), std::string::npos) << s;
}

// A one-layer llama with C = 4, `heads` heads of D = 4 / heads (`kv` KV heads), F = 4 and 4 tokens; every
// weight row r holds r + 0.01 * column, so the Hugging Face order of rows can be read back.
GgufWriter tiny_llama(const std::string& arch = "llama", const std::string& tok_model = "gpt2", int heads = 2,
                      int kv = 1, int k_rows = -1, int head_dim = 0) {
  const int d = head_dim > 0 ? head_dim : 4 / heads, c = heads * d;
  const auto u = [](int x) { return static_cast<uint64_t>(x); };
  GgufWriter w;
  w.kv_str("general.architecture", arch);
  w.kv_u32("llama.block_count", 1);
  w.kv_u32("llama.embedding_length", static_cast<uint32_t>(c));
  w.kv_u32("llama.feed_forward_length", 4);
  w.kv_u32("llama.attention.head_count", static_cast<uint32_t>(heads));
  w.kv_u32("llama.attention.head_count_kv", static_cast<uint32_t>(kv));
  w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.kv_f32("llama.rope.freq_base", 100000.0f);
  w.kv_u32("llama.context_length", 64);
  w.kv_str("tokenizer.ggml.model", tok_model);
  w.kv_str("tokenizer.ggml.pre", "smollm");
  w.kv_strs("tokenizer.ggml.tokens", {"<|endoftext|>", "a", "b", "ab"});
  w.kv_i32s("tokenizer.ggml.token_type", {3, 1, 1, 1});
  w.kv_strs("tokenizer.ggml.merges", {"a b"});
  w.kv_u32("tokenizer.ggml.bos_token_id", 0);
  w.kv_u32("tokenizer.ggml.eos_token_id", 0);
  w.kv_str("tokenizer.chat_template", "{{ messages[0]['content'] }}");
  const auto rows = [](int n, int cols) {
    std::vector<float> v;
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < cols; ++j) v.push_back(static_cast<float>(r) + 0.01f * static_cast<float>(j));
    return v;
  };
  const std::vector<float> ones(static_cast<size_t>(c), 1.0f);
  w.tensor("token_embd.weight", {u(c), 4}, kGgmlF32, f32_bytes(rows(4, c)));
  w.tensor("output_norm.weight", {u(c)}, kGgmlF32, f32_bytes(ones));
  w.tensor("blk.0.attn_norm.weight", {u(c)}, kGgmlF32, f32_bytes(ones));
  w.tensor("blk.0.ffn_norm.weight", {u(c)}, kGgmlF32, f32_bytes(ones));
  w.tensor("blk.0.attn_q.weight", {u(c), u(c)}, kGgmlF32, f32_bytes(rows(c, c)));
  const int kr = k_rows > 0 ? k_rows : kv * d;
  w.tensor("blk.0.attn_k.weight", {u(c), u(kr)}, kGgmlF32, f32_bytes(rows(kr, c)));
  w.tensor("blk.0.attn_v.weight", {u(c), u(kv * d)}, kGgmlF32, f32_bytes(rows(kv * d, c)));
  w.tensor("blk.0.attn_output.weight", {u(c), u(c)}, kGgmlF32, f32_bytes(rows(c, c)));
  w.tensor("blk.0.ffn_gate.weight", {u(c), 4}, kGgmlF32, f32_bytes(rows(4, c)));
  w.tensor("blk.0.ffn_up.weight", {u(c), 4}, kGgmlF32, f32_bytes(rows(4, c)));
  w.tensor("blk.0.ffn_down.weight", {4, u(c)}, kGgmlF32, f32_bytes(rows(c, 4)));
  return w;
}

TEST(Gguf, ImportsALlamaWithHuggingFaceNamesAndRopeOrder) {
  const std::string out = testing::TempDir() + "/gguf_tiny";
  ASSERT_TRUE(gguf_import(tiny_llama().save("tiny.gguf"), out, DType::kF32).ok());
  auto st = SafetensorsFile::open(out + "/model.safetensors");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->entries().count("lm_head.weight"), 0u);  // no output.weight: tied
  std::vector<float> q(16), k(8);
  ASSERT_TRUE(st->read_f32("model.layers.0.self_attn.q_proj.weight", {4, 4}, q.data()).ok());
  ASSERT_TRUE(st->read_f32("model.layers.0.self_attn.k_proj.weight", {2, 4}, k.data()).ok());
  // Per head of D = 2 rows: gguf row 2i is hf row i, gguf row 2i+1 is hf row D/2 + i. With D = 2 a head's
  // two rows keep their order; heads stay in place: hf rows = gguf rows 0, 1, 2, 3.
  for (int r = 0; r < 4; ++r) EXPECT_FLOAT_EQ(q[static_cast<size_t>(r * 4)], static_cast<float>(r));
  const nlohmann::json cfg = nlohmann::json::parse(std::ifstream(out + "/config.json"));
  EXPECT_EQ(cfg["model_type"], "llama");
  EXPECT_EQ(cfg["num_key_value_heads"], 1);
  EXPECT_EQ(cfg["tie_word_embeddings"], true);
  EXPECT_DOUBLE_EQ(cfg["rope_theta"].get<double>(), 100000.0);
  const nlohmann::json tok = nlohmann::json::parse(std::ifstream(out + "/tokenizer.json"));
  EXPECT_EQ(tok["model"]["vocab"]["ab"], 3);
  EXPECT_EQ(tok["added_tokens"][0]["content"], "<|endoftext|>");
  EXPECT_EQ(tok["added_tokens"][0]["special"], true);
  const nlohmann::json tc = nlohmann::json::parse(std::ifstream(out + "/tokenizer_config.json"));
  EXPECT_EQ(tc["eos_token"], "<|endoftext|>");
  EXPECT_EQ(tc["chat_template"], "{{ messages[0]['content'] }}");
}

// With one head of D = 4 the halves interleave: hf row i (i < 2) is gguf row 2i, hf row 2 + i is gguf row
// 2i + 1, so hf rows 0, 1, 2, 3 come from gguf rows 0, 2, 1, 3 (q and k alike; v and the rest untouched).
TEST(Gguf, UndoesTheInterleavedRopeRowsOfEachHead) {
  const std::string out = testing::TempDir() + "/gguf_d4";
  ASSERT_TRUE(gguf_import(tiny_llama("llama", "gpt2", 1, 1).save("tiny_d4.gguf"), out, DType::kF32).ok());
  auto st = SafetensorsFile::open(out + "/model.safetensors");
  ASSERT_TRUE(st.ok()) << st.status();
  for (const char* name : {"q_proj", "k_proj", "v_proj"}) {
    std::vector<float> w(16);
    ASSERT_TRUE(
        st->read_f32(std::string("model.layers.0.self_attn.") + name + ".weight", {4, 4}, w.data()).ok());
    const std::vector<float> want =
        std::string(name) == "v_proj" ? std::vector<float>{0, 1, 2, 3} : std::vector<float>{0, 2, 1, 3};
    for (int r = 0; r < 4; ++r) {
      EXPECT_FLOAT_EQ(w[static_cast<size_t>(r * 4)], want[static_cast<size_t>(r)]) << name << " row " << r;
      EXPECT_FLOAT_EQ(w[static_cast<size_t>(r * 4 + 3)], want[static_cast<size_t>(r)] + 0.03f) << name;
    }
  }
}

// Grouped-query attention as in SmolLM2 (more q heads than k heads), 2 q heads of D = 4 over 1 k head: each
// head's rows are put back on their own, q rows (0..7) in the order 0, 2, 1, 3 | 4, 6, 5, 7 and k rows 0, 2, 1, 3.
TEST(Gguf, UndoesTheRopeRowsHeadByHeadWithFewerKvHeads) {
  const std::string out = testing::TempDir() + "/gguf_gqa";
  ASSERT_TRUE(
      gguf_import(tiny_llama("llama", "gpt2", 2, 1, -1, 4).save("tiny_gqa.gguf"), out, DType::kF32).ok());
  auto st = SafetensorsFile::open(out + "/model.safetensors");
  ASSERT_TRUE(st.ok()) << st.status();
  std::vector<float> q(64), k(32);
  ASSERT_TRUE(st->read_f32("model.layers.0.self_attn.q_proj.weight", {8, 8}, q.data()).ok());
  ASSERT_TRUE(st->read_f32("model.layers.0.self_attn.k_proj.weight", {4, 8}, k.data()).ok());
  const float want_q[8] = {0, 2, 1, 3, 4, 6, 5, 7}, want_k[4] = {0, 2, 1, 3};
  for (int r = 0; r < 8; ++r) EXPECT_FLOAT_EQ(q[static_cast<size_t>(r * 8)], want_q[r]) << "q row " << r;
  for (int r = 0; r < 4; ++r) EXPECT_FLOAT_EQ(k[static_cast<size_t>(r * 8)], want_k[r]) << "k row " << r;
}

TEST(Gguf, ErrorsNameTheFileAndWhatIsWrong) {
  const std::string good = tiny_llama().bytes();
  const std::string cut = testing::TempDir() + "/cut.gguf";
  std::ofstream(cut, std::ios::binary) << good.substr(0, 300);
  absl::Status s = gguf_import(cut, testing::TempDir() + "/cut_out", DType::kF32);
  EXPECT_NE(s.message().find("cut.gguf: truncated in the"), std::string::npos) << s;
  s = gguf_import(tiny_llama("qwen2").save("qwen2.gguf"), testing::TempDir() + "/q2", DType::kF32);
  EXPECT_NE(s.message().find("general.architecture: 'qwen2' is not imported"), std::string::npos) << s;
  s = gguf_import(tiny_llama("llama", "llama").save("spm.gguf"), testing::TempDir() + "/spm", DType::kF32);
  EXPECT_NE(s.message().find("tokenizer.ggml.model: 'llama' is not imported"), std::string::npos) << s;
  GgufWriter extra = tiny_llama();
  extra.tensor("blk.0.attn_q.bias", {4}, kGgmlF32, f32_bytes({0, 0, 0, 0}));
  s = gguf_import(extra.save("extra.gguf"), testing::TempDir() + "/extra", DType::kF32);
  EXPECT_NE(s.message().find("tensor blk.0.attn_q.bias (F32): no Hugging Face llama name takes it"),
            std::string::npos)
      << s;
  s = gguf_import(tiny_llama("llama", "gpt2", 2, 1, 4).save("shape.gguf"), testing::TempDir() + "/shape",
                  DType::kF32);
  EXPECT_NE(s.message().find("tensor blk.0.attn_k.weight: shape [4, 4], the metadata says [2, 4]"),
            std::string::npos)
      << s;
  std::string bad = good;
  bad[0] = 'X';
  const std::string badp = testing::TempDir() + "/magic.gguf";
  std::ofstream(badp, std::ios::binary) << bad;
  s = gguf_import(badp, testing::TempDir() + "/magic", DType::kF32);
  EXPECT_NE(s.message().find("not a GGUF file"), std::string::npos) << s;
  EXPECT_FALSE(std::filesystem::exists(testing::TempDir() + "/cut_out/model.safetensors"));
}

}  // namespace

}  // namespace ascent
