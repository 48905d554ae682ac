// Model directories (model_save / model_load, config.json, dtypes): init -> save -> load is bit-exact in
// every on-disk dtype, sharded checkpoints load and keep their layout, and broken inputs give errors that
// name the file and the tensor or field.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/dtype.h"
#include "model/model.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;

namespace {

std::string tmpdir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("ascent_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

Model tiny(ModelArch arch, DType dt) {
  auto cfg = model_config_preset(arch, "tiny", 0);
  cfg->num_layers = 2;
  auto m = model_create(*cfg, dt);
  model_init_random(*m, 42);
  return std::move(*m);
}

std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

std::string load_error(const std::string& dir) {
  auto m = model_load(dir);
  EXPECT_FALSE(m.ok()) << "loading " << dir << " should fail";
  return m.ok() ? "" : std::string(m.status().message());
}

class RoundTrip : public ::testing::TestWithParam<DType> {};

TEST_P(RoundTrip, BitExact) {
  for (ModelArch arch : {ModelArch::kQwen2, ModelArch::kLlama, ModelArch::kQwen3}) {
    Model m = tiny(arch, GetParam());
    const std::string dir = tmpdir(std::string("rt_") + model_arch_name(arch) + dtype_name(GetParam()));
    ASSERT_TRUE(model_save(m, dir).ok());
    auto back = model_load(dir);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(0, std::memcmp(back->params.data(), m.params.data(), m.params.size() * 4))
        << model_arch_name(arch);
    EXPECT_EQ(back->disk_dtype, m.disk_dtype);
    EXPECT_EQ(back->cfg.tie_word_embeddings, m.cfg.tie_word_embeddings);
    EXPECT_EQ(back->layout.total, m.layout.total);
    // Saving what was loaded writes the same bytes.
    const std::string dir2 = dir + "_again";
    ASSERT_TRUE(model_save(*back, dir2).ok());
    EXPECT_EQ(read_file(dir + "/model.safetensors"), read_file(dir2 + "/model.safetensors"));
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, RoundTrip, ::testing::Values(DType::kF32, DType::kBF16, DType::kF16),
                         [](const ::testing::TestParamInfo<DType>& i) {
                           return std::string(dtype_name(i.param));
                         });

TEST(ModelDir, ShardedLoadsAndKeepsLayout) {
  Model m = tiny(ModelArch::kLlama, DType::kBF16);
  const std::string dir = tmpdir("sharded");
  ASSERT_TRUE(model_save(m, dir, /*shard_bytes=*/200 * 1024).ok());
  ASSERT_TRUE(fs::exists(dir + "/model.safetensors.index.json"));
  ASSERT_FALSE(fs::exists(dir + "/model.safetensors"));
  auto idx = nlohmann::json::parse(read_file(dir + "/model.safetensors.index.json"));
  std::set<std::string> files;
  for (auto& [k, v] : idx["weight_map"].items()) files.insert(v.get<std::string>());
  EXPECT_GE(files.size(), 3u);
  for (const auto& f : files) EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  auto back = model_load(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(0, std::memcmp(back->params.data(), m.params.data(), m.params.size() * 4));
  // Saved again without a shard size: same files, same index.
  const std::string dir2 = tmpdir("sharded_again");
  ASSERT_TRUE(model_save(*back, dir2).ok());
  for (const auto& f : files) EXPECT_EQ(read_file(dir + "/" + f), read_file(dir2 + "/" + f)) << f;
}

// A drop-in Hugging Face directory: generation_config.json's eos ids are read, and saving a loaded model
// (after training) copies the tokenizer and generation files next to the new weights.
TEST(ModelDir, TokenizerAndGenerationFilesTravelWithTheModel) {
  Model m = tiny(ModelArch::kQwen2, DType::kF32);  // float32 on disk: the "training" step survives exactly
  const std::string src = tmpdir("hf_src");
  ASSERT_TRUE(model_save(m, src).ok());
  write_file(src + "/tokenizer.json",
             read_file(ASCENT_SOURCE_DIR "/tests/fixtures/tokenizer/qwen3/tokenizer.json"));
  write_file(src + "/tokenizer_config.json", "{\"chat_template\": \"x\"}");
  write_file(src + "/generation_config.json", R"({"eos_token_id": [7, 9], "do_sample": true})");
  auto loaded = model_load(src);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (int64_t id : {7, 9}) {
    EXPECT_NE(std::find(loaded->cfg.eos_token_ids.begin(), loaded->cfg.eos_token_ids.end(), id),
              loaded->cfg.eos_token_ids.end())
        << id;
  }
  loaded->params[0] += 1.0f;  // "trained"
  const std::string out = tmpdir("hf_out");
  ASSERT_TRUE(model_save(*loaded, out).ok());
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
    EXPECT_EQ(read_file(out + "/" + f), read_file(src + "/" + f)) << f;
  }
  auto back = model_load(out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->params[0], loaded->params[0]);
  write_file(src + "/generation_config.json", R"({"eos_token_id": "end"})");
  EXPECT_NE(load_error(src).find("generation_config.json: eos_token_id: expected integers"),
            std::string::npos);
}

TEST(ModelDir, TruncatedFileNamesFileAndTensor) {
  Model m = tiny(ModelArch::kQwen2, DType::kF32);
  const std::string dir = tmpdir("truncated");
  ASSERT_TRUE(model_save(m, dir).ok());
  const std::string path = dir + "/model.safetensors";
  std::string bytes = read_file(path);
  write_file(path, bytes.substr(0, bytes.size() / 2));
  std::string err = load_error(dir);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("tensor '"), std::string::npos) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  write_file(path, bytes.substr(0, 5));  // not even the header length
  err = load_error(dir);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

TEST(ModelDir, CorruptedHeaderNamesFile) {
  Model m = tiny(ModelArch::kQwen2, DType::kF32);
  const std::string dir = tmpdir("corrupt");
  ASSERT_TRUE(model_save(m, dir).ok());
  const std::string path = dir + "/model.safetensors";
  std::string bytes = read_file(path);
  bytes[10] = '\x01';  // inside the JSON header
  bytes[11] = '}';
  write_file(path, bytes);
  std::string err = load_error(dir);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("JSON"), std::string::npos) << err;
}

TEST(ModelDir, ConfigMissingFieldNamesFileAndField) {
  Model m = tiny(ModelArch::kQwen3, DType::kF32);
  const std::string dir = tmpdir("nofield");
  ASSERT_TRUE(model_save(m, dir).ok());
  auto cfg = nlohmann::json::parse(read_file(dir + "/config.json"));
  cfg.erase("hidden_size");
  write_file(dir + "/config.json", cfg.dump());
  std::string err = load_error(dir);
  EXPECT_NE(err.find(dir + "/config.json"), std::string::npos) << err;
  EXPECT_NE(err.find("'hidden_size'"), std::string::npos) << err;
  cfg["hidden_size"] = "wide";
  write_file(dir + "/config.json", cfg.dump());
  err = load_error(dir);
  EXPECT_NE(err.find("'hidden_size'"), std::string::npos) << err;
}

TEST(ModelDir, ShapeMismatchNamesTensorAndShapes) {
  Model m = tiny(ModelArch::kQwen2, DType::kF32);
  const std::string dir = tmpdir("shape");
  ASSERT_TRUE(model_save(m, dir).ok());
  auto cfg = nlohmann::json::parse(read_file(dir + "/config.json"));
  cfg["intermediate_size"] = 256;  // the checkpoint holds 512
  write_file(dir + "/config.json", cfg.dump());
  std::string err = load_error(dir);
  EXPECT_NE(err.find("model.layers.0.mlp.gate_proj.weight"), std::string::npos) << err;
  EXPECT_NE(err.find("[512, 128]"), std::string::npos) << err;
  EXPECT_NE(err.find("[256, 128]"), std::string::npos) << err;
}

TEST(ModelDir, MissingTensorNamed) {
  Model m = tiny(ModelArch::kLlama, DType::kF32);
  const std::string dir = tmpdir("missing");
  ASSERT_TRUE(model_save(m, dir, 100 * 1024).ok());
  auto idx = nlohmann::json::parse(read_file(dir + "/model.safetensors.index.json"));
  idx["weight_map"].erase("lm_head.weight");
  write_file(dir + "/model.safetensors.index.json", idx.dump());
  std::string err = load_error(dir);
  EXPECT_NE(err.find("lm_head.weight"), std::string::npos) << err;
  EXPECT_NE(err.find("model.safetensors.index.json"), std::string::npos) << err;
}

// Both config.json layouts describe the same model: transformers v4 (rope_theta + rope_scaling) and v5
// (rope_parameters).
TEST(Config, V4AndV5RopeLayoutsAgree) {
  const std::string base =
      R"("model_type":"llama","vocab_size":100,"hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,)"
      R"("num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,"eos_token_id":[1,2],)";
  auto v4 = model_config_parse(
      "{" + base +
          R"("rope_theta":500000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,)"
          R"("high_freq_factor":4.0,"original_max_position_embeddings":64}})",
      "v4.json");
  auto v5 = model_config_parse(
      "{" + base +
          R"("rope_parameters":{"rope_type":"llama3","rope_theta":500000.0,"factor":8.0,"low_freq_factor":1.0,)"
          R"("high_freq_factor":4.0,"original_max_position_embeddings":64}})",
      "v5.json");
  ASSERT_TRUE(v4.ok()) << v4.status();
  ASSERT_TRUE(v5.ok()) << v5.status();
  EXPECT_EQ(v4->rope.theta, 500000.0);
  EXPECT_EQ(v5->rope.theta, 500000.0);
  EXPECT_EQ(v4->rope.type, "llama3");
  EXPECT_EQ(model_config_rope_inv_freq(*v4), model_config_rope_inv_freq(*v5));
  EXPECT_EQ(v4->eos_token_ids, (std::vector<int64_t>{1, 2}));
  auto bad =
      model_config_parse("{" + base + R"("rope_scaling":{"rope_type":"yarn","factor":4.0}})", "c.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("rope_scaling.rope_type"), std::string::npos)
      << bad.status();
  auto sliding = model_config_parse("{" + base + R"("use_sliding_window":true})", "c.json");
  ASSERT_FALSE(sliding.ok());
  EXPECT_NE(std::string(sliding.status().message()).find("use_sliding_window"), std::string::npos);
}

// llama3 frequency scaling, derived by hand for head_dim 8, theta 1e4, factor 8, low 1, high 4, original 64:
// inv_freq = [1, 0.1, 0.01, 0.001], wavelengths 2*pi/f = [6.28, 62.8, 628, 6283]; low_freq_wavelen = 64,
// high_freq_wavelen = 16. f0: wavelength < 16, kept: 1. f1: 16 <= 62.8 <= 64, smoothed with
// s = (64 / 62.83 - 1) / (4 - 1) = 0.0061969: (1 - s) * 0.1 / 8 + s * 0.1 = 0.0130422. f2, f3: > 64, divided
// by 8.
TEST(Config, Llama3RopeScalingByHand) {
  ModelConfig c;
  c.head_dim = 8;
  c.rope.theta = 10000.0;
  c.rope.type = "llama3";
  c.rope.factor = 8.0;
  c.rope.low_freq_factor = 1.0;
  c.rope.high_freq_factor = 4.0;
  c.rope.original_max_position_embeddings = 64;
  auto f = model_config_rope_inv_freq(c);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_NEAR(f[0], 1.0, 1e-7);
  EXPECT_NEAR(f[1], 0.0130422, 1e-6);
  EXPECT_NEAR(f[2], 0.00125, 1e-9);
  EXPECT_NEAR(f[3], 0.000125, 1e-10);
}

// bf16 / fp16 conversions against bit patterns derived by hand.
TEST(DType, ConversionsByHand) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f), 0x3F80);  // exactly halfway between 0x3F80 and 0x3F81: ties to even
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3F82);  // halfway between 0x3F81 and 0x3F82: to even (0x3F82)
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);  // largest finite half
  EXPECT_EQ(f32_to_f16(1e6f), 0x7C00);      // overflow -> inf
  EXPECT_EQ(f32_to_f16(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1p-26f), 0x0000);  // below half of it -> 0
  EXPECT_EQ(f32_to_f16(-0.5f), 0xB800);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x0001), 0x1p-24f);
  for (uint32_t h = 0; h < 0x7C00; ++h) {  // every finite positive half survives half -> float -> half
    ASSERT_EQ(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))), h);
  }
}

}  // namespace

}  // namespace ascent
