// LoRA (model/lora.h) against peft + transformers on the committed dumps of
// tests/reference/make_lora_reference.py: the adapter directory peft saved loads here, the merged model's
// log-probs equal peft's (both sequences packed into one batch here, one at a time there), and the adapters'
// gradients of an RL-style loss (projections of the engine's dL/dW) equal autograd's through peft's separate
// low-rank path. Then, independent of peft: finite differences of the merged forward in one adapter element,
// a fresh adapter leaves the model unchanged (B = 0), a save/load round trip, and every refusal of a bad
// adapter directory naming file and key.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "model/lora.h"
#include "model/loss.h"
#include "model/transformer.h"
#include "nlohmann/json.hpp"
#include "tests/model_fixtures.h"
#include "tests/reference_dump.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

class LoraReference : public ::testing::TestWithParam<std::string> {};

// Tolerances: log-probs 2e-5 absolute (float32, different summation orders); gradients 1e-4 of the tensor's
// largest |value| (plus 1e-7), as tests/test_reference.cc.
TEST_P(LoraReference, MergedModelMatchesPeft) {
  auto ref_or = reference_dump_read(fixture_path("lora_" + GetParam()) + "/reference.bin");
  ASSERT_TRUE(ref_or.ok()) << ref_or.status();
  const auto& ref = *ref_or;
  auto m_or = model_load(fixture_path("ref_" + GetParam()));
  ASSERT_TRUE(m_or.ok()) << m_or.status();
  Model& m = *m_or;
  model_grads_enable(m);
  PackedBatch b;
  batch_add_sequence(b, ref_ids(ref.at("seq0")));
  batch_add_sequence(b, ref_ids(ref.at("seq1")));
  // Without the adapter: peft's disable_adapter() log-probs.
  auto base_lp = model_forward_logprobs(m, b, nullptr, LmHeadOptions{});
  ASSERT_TRUE(base_lp.ok());
  Diff d =
      diff_max(base_lp->data(), ref.at("base.logprobs").data.data(), static_cast<int64_t>(base_lp->size()));
  EXPECT_LE(d.max_abs, 2e-5);

  auto a = lora_load_peft(m, fixture_path("lora_" + GetParam()));
  ASSERT_TRUE(a.ok()) << a.status();
  lora_merge(*a, m.params.data());
  ForwardState st;
  auto lp = model_forward_logprobs(m, b, &st, LmHeadOptions{});
  ASSERT_TRUE(lp.ok());
  d = diff_max(lp->data(), ref.at("logprobs").data.data(), static_cast<int64_t>(lp->size()));
  EXPECT_LE(d.max_abs, 2e-5) << "log-probs of the merged model vs peft";

  std::vector<float> dlogp;
  const float loss = static_cast<float>(loss_weighted_logprob(*lp, ref.at("rl.weights").data, &dlogp));
  EXPECT_NEAR(loss, ref.at("rl.loss").data[0], 2e-5 * std::fabs(ref.at("rl.loss").data[0]) + 2e-5);
  model_grads_zero(m);
  model_backward_logprobs(m, b, st, dlogp, LmHeadOptions{});
  std::vector<float> g(static_cast<size_t>(a->size()));
  lora_project_grads(*a, m.grads.data(), g.data());
  int checked = 0;
  for (const LoraTarget& t : a->targets) {
    for (const auto& [key, off, n] :
         {std::tuple{"base_model.model." + t.module + ".lora_A.weight", t.a_offset, a->cfg.rank * t.in},
          std::tuple{"base_model.model." + t.module + ".lora_B.weight", t.b_offset, t.out * a->cfg.rank}}) {
      auto it = ref.find("rl.grad." + key);
      ASSERT_NE(it, ref.end()) << key;
      ASSERT_EQ(static_cast<int64_t>(it->second.data.size()), n) << key;
      const Diff dg = diff_max(g.data() + off, it->second.data.data(), n);
      EXPECT_LE(dg.max_abs, 1e-7 + 1e-4 * dg.ref_max) << key << " (largest |peft| " << dg.ref_max << ")";
      EXPECT_GT(dg.ref_max, 0) << key;
      ++checked;
    }
  }
  int want = 0;
  for (const auto& [k, v] : ref) want += k.rfind("rl.grad.", 0) == 0;
  EXPECT_EQ(checked, want) << "every adapter tensor peft has, and no other";
}

INSTANTIATE_TEST_SUITE_P(LlamaAndQwen3, LoraReference, ::testing::Values("llama", "qwen3"));

// d(sum_t w_t logp_t)/dB[o, k] and /dA[k, i] by central differences through merge + forward, against the
// projected gradient, for a few elements of each kind (untied llama, random adapters with B != 0).
TEST(Lora, ProjectedGradientMatchesFiniteDifferences) {
  Model m = test_model(ModelArch::kLlama, false, 3);
  model_grads_enable(m);
  LoraConfig cfg;
  cfg.rank = 2, cfg.alpha = 4;
  cfg.target_modules = {"q_proj", "down_proj"};
  auto a = lora_create(m, cfg, 5);
  ASSERT_TRUE(a.ok()) << a.status();
  Rng rng(9);
  for (const LoraTarget& t : a->targets)
    for (int64_t i = 0; i < t.out * cfg.rank; ++i)
      a->params[t.b_offset + i] = static_cast<float>(0.3 * rng.next_normal());
  const PackedBatch b = test_batch(m.cfg.vocab_size, {9, 6}, 4);
  std::vector<float> w;
  auto value = [&](LoraAdapters& ad) {
    lora_merge(ad, m.params.data());
    auto lp = model_forward_logprobs(m, b, nullptr, LmHeadOptions{});
    if (w.empty())
      for (size_t i = 0; i < lp->size(); ++i) w.push_back(static_cast<float>(std::sin(1.0 + i)));
    double s = 0;
    for (size_t i = 0; i < lp->size(); ++i) s += w[i] * (*lp)[i];
    return s;
  };
  value(*a);
  ForwardState st;
  auto lp = model_forward_logprobs(m, b, &st, LmHeadOptions{});
  model_grads_zero(m);
  model_backward_logprobs(m, b, st, w, LmHeadOptions{});
  std::vector<float> g(static_cast<size_t>(a->size()));
  lora_project_grads(*a, m.grads.data(), g.data());
  for (const LoraTarget& t : a->targets) {
    for (int64_t off : {t.a_offset, t.a_offset + 3, t.a_offset + cfg.rank * t.in - 1, t.b_offset,
                        t.b_offset + t.out * cfg.rank - 1}) {
      const float x = a->params[off];
      const float h = 1e-2f;
      a->params[off] = x + h;
      const double up = value(*a);
      a->params[off] = x - h;
      const double dn = value(*a);
      a->params[off] = x;
      const double fd = (up - dn) / (2.0 * h);
      EXPECT_NEAR(g[off], fd, 2e-3 + 2e-3 * std::fabs(fd)) << t.module << " element " << off;
    }
  }
}

TEST(Lora, FreshAdapterIsTheBaseModelAndInitIsPefts) {
  Model m = test_model(ModelArch::kQwen3, true, 4);
  const std::vector<float> base = m.params;
  LoraConfig cfg;  // every linear module
  cfg.rank = 3, cfg.alpha = 6;
  auto a = lora_create(m, cfg, 1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->targets.size(), 2u * 7u);  // 2 layers x q, k, v, o, gate, up, down
  int64_t want = 0;
  for (const LoraTarget& t : a->targets) {
    want += cfg.rank * (t.in + t.out);
    const double bound = 1.0 / std::sqrt(static_cast<double>(t.in));
    double maxa = 0;
    for (int64_t i = 0; i < cfg.rank * t.in; ++i)
      maxa = std::max(maxa, std::fabs(double(a->params[t.a_offset + i])));
    EXPECT_LE(maxa, bound);
    EXPECT_GT(maxa, 0.5 * bound);
    for (int64_t i = 0; i < t.out * cfg.rank; ++i) ASSERT_EQ(a->params[t.b_offset + i], 0.0f);
  }
  EXPECT_EQ(a->size(), want);
  lora_merge(*a, m.params.data());
  EXPECT_EQ(m.params, base);
  EXPECT_DOUBLE_EQ(cfg.scale(), 2.0);
  cfg.rslora = true;
  EXPECT_DOUBLE_EQ(cfg.scale(), 6.0 / std::sqrt(3.0));
}

TEST(Lora, SaveLoadRoundTripAndRefusals) {
  Model m = test_model(ModelArch::kLlama, false, 8);
  LoraConfig cfg;
  cfg.rank = 2;
  cfg.target_modules = {"v_proj", "up_proj"};
  auto a = lora_create(m, cfg, 2);
  ASSERT_TRUE(a.ok());
  for (size_t i = 0; i < a->params.size(); ++i) a->params[i] += 0.01f * static_cast<float>(i % 7);
  const std::string dir = ::testing::TempDir() + "/lora_rt";
  fs::remove_all(dir);
  ASSERT_TRUE(lora_save_peft(*a, dir, "base").ok());
  auto b = lora_load_peft(m, dir);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->params, a->params);
  EXPECT_EQ(b->cfg.target_modules, cfg.target_modules);

  const std::string cfg_path = dir + "/adapter_config.json";
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    std::ifstream in(cfg_path);
    nlohmann::json j = nlohmann::json::parse(in);
    f(j);
    std::ofstream(dir + "/x.json") << j.dump();
  };
  auto refusal = [&](const std::function<void(nlohmann::json&)>& f) {
    const std::string saved = dir + "/saved.json";
    fs::copy_file(cfg_path, saved, fs::copy_options::overwrite_existing);
    edit(f);
    fs::rename(dir + "/x.json", cfg_path);
    auto r = lora_load_peft(m, dir);
    fs::rename(saved, cfg_path);
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(refusal([](auto& j) { j["lora_dropout"] = 0.05; }),
            cfg_path + ": lora_dropout: must be 0 (ascent merges the adapters into the weights)");
  EXPECT_EQ(refusal([](auto& j) { j["peft_type"] = "IA3"; }), cfg_path + ": peft_type: must be LORA");
  EXPECT_EQ(refusal([](auto& j) { j["use_dora"] = true; }), cfg_path + ": use_dora: DoRA is not supported");
  EXPECT_EQ(refusal([](auto& j) { j["init_lora_weights"] = "pissa"; }),
            cfg_path + ": init_lora_weights: an init that changes the base model is not supported");
  EXPECT_EQ(
      refusal([](auto& j) { j["layers_to_transform"] = {0}; }),
      cfg_path +
          ": layers_to_transform: is not supported (ascent adapts whole linear modules of every layer)");
  EXPECT_EQ(
      refusal([](auto& j) { j["modules_to_save"] = {"lm_head"}; }),
      cfg_path + ": modules_to_save: is not supported (ascent adapts whole linear modules of every layer)");
  EXPECT_EQ(refusal([](auto& j) { j["lora_bias"] = true; }),
            cfg_path + ": lora_bias: LoRA biases are not supported");
  EXPECT_EQ(refusal([](auto& j) { j["use_dora"] = nullptr; }), "ok");   // PEFT writes nulls for unset fields
  const std::string wrong_rank = refusal([](auto& j) { j["r"] = 3; });  // the tensors' shapes disagree
  EXPECT_NE(wrong_rank.find("adapter_model.safetensors"), std::string::npos) << wrong_rank;
  EXPECT_NE(wrong_rank.find("lora_A.weight"), std::string::npos) << wrong_rank;
  EXPECT_EQ(refusal([](auto& j) { j["target_modules"] = {"v_proj"}; }),
            dir +
                "/adapter_model.safetensors: tensor "
                "base_model.model.model.layers.0.mlp.up_proj.lora_A.weight is not "
                "an adapter of a target module of this model");
  EXPECT_EQ(refusal([](auto& j) { j["target_modules"] = {"lm_head"}; }),
            cfg_path +
                ": LoRA target module 'lm_head' is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, "
                "up_proj, down_proj");
  EXPECT_EQ(refusal([](auto& j) {
              j["target_modules"] = {"v_proj", "up_proj", "q_proj"};
            }),
            dir +
                "/adapter_model.safetensors: no tensor "
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  // A NaN in the tensors.
  a->params[5] = std::nanf("");
  ASSERT_TRUE(lora_save_peft(*a, dir, "base").ok());
  auto nan = lora_load_peft(m, dir);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(std::string(nan.status().message()),
            dir + "/adapter_model.safetensors: a non-finite value at element 5");
  EXPECT_EQ(lora_load_peft(m, dir + "/none").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ascent
