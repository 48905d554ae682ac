// Nothing non-finite is trained, published or saved (issue: reliability under bad input), checked at each
// place a NaN or Inf could enter: a model's weights and config on load, a checkpoint's moments and state on
// resume, a checkpoint save, an optimiser update that overflows, and the learner's count of skipped steps
// (learner/step_guard.h). Each refusal must name what it refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "collective/collective.h"
#include "learner/checkpoint.h"
#include "learner/optimizer.h"
#include "learner/step_guard.h"
#include "model/safetensors.h"
#include "nlohmann/json.hpp"
#include "tests/model_fixtures.h"
#include "tests/scratch.h"

namespace ascent {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  return scratch_dir("nonfinite", name);
}

TEST(NonFinite, ModelLoadRefusesANonFiniteWeightNamingTheTensor) {
  for (float bad : {std::nanf(""), -std::numeric_limits<float>::infinity()}) {
    Model m = test_model(ModelArch::kQwen3, false, 1);
    const ParamInfo& p = m.layout.params[3];
    m.params[p.offset + 2] = bad;
    const std::string dir = fresh_dir("weights");
    ASSERT_TRUE(model_save(m, dir).ok());
    auto loaded = model_load(dir);
    ASSERT_FALSE(loaded.ok());
    const std::string e = status_text(loaded.status());
    EXPECT_NE(e.find("model.safetensors"), std::string::npos) << e;
    EXPECT_NE(e.find("'" + p.name + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("element 2"), std::string::npos) << e;
  }
}

TEST(NonFinite, ConfigValuesThatMakeNaNsAreRefusedByName) {
  Model m = test_model(ModelArch::kLlama, false, 2);
  const std::string dir = fresh_dir("config");
  ASSERT_TRUE(model_save(m, dir).ok());
  const std::string path = dir + "/config.json";
  nlohmann::json good;
  std::ifstream(path) >> good;
  for (const auto& [key, value] : {std::pair{"rms_norm_eps", -1.0},
                                   {"rms_norm_eps", 0.0},
                                   {"rope_theta", 0.0},
                                   {"rope_theta", -5.0},
                                   {"initializer_range", -1.0}}) {
    nlohmann::json cfg = good;
    cfg[key] = value;
    std::ofstream(path) << cfg.dump();
    auto loaded = model_load(dir);
    ASSERT_FALSE(loaded.ok()) << key << " = " << value;
    const std::string e = status_text(loaded.status());
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find(key), std::string::npos) << e;
  }
}

TEST(NonFinite, CheckpointSaveRefusesNonFiniteAndKeepsTheOlderOne) {
  Model m = test_model(ModelArch::kQwen2, false, 3);
  const std::string run = fresh_dir("save");
  AdamWState opt;
  adamw_init(opt, m.layout.total);
  ASSERT_TRUE(checkpoint_save(run, 1, m, nullptr, opt, run_state_at(1), 1).ok());
  m.params[7] = std::nanf("");
  absl::Status st = checkpoint_save(run, 2, m, nullptr, opt, run_state_at(2), 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("a weight is not finite (element 7)"), std::string::npos) << st;
  m.params[7] = 0.5f;
  opt.v[11] = std::numeric_limits<float>::infinity();
  st = checkpoint_save(run, 2, m, nullptr, opt, run_state_at(2), 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("second moment"), std::string::npos) << st;
  EXPECT_FALSE(fs::exists(run + "/checkpoints/step-000002"))
      << "nothing of the refused checkpoint is written";
  EXPECT_FALSE(fs::exists(run + "/checkpoints/step-000002.tmp"));
  auto latest = checkpoint_latest(run);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_NE(latest->find("step-000001"), std::string::npos) << "keep: 1 did not rotate the finite one away";
}

TEST(NonFinite, CheckpointLoadRefusesBadMomentsAndStepsNamingTheFile) {
  Model m = test_model(ModelArch::kQwen2, false, 4);
  const int64_t n = m.layout.total;
  struct Case {
    const char* what;
    float m_value, v_value;
    std::string adamw_step;
    nlohmann::json step;
    const char* expect;
  };
  const Case cases[] = {
      {"NaN first moment", std::nanf(""), 0.1f, "3", 3, "'adamw.m' holds a non-finite value"},
      {"negative second moment", 0.0f, -1.0f, "3", 3, "negative second moment"},
      {"a string step count", 0.0f, 0.1f, "three", 3, "adamw_step \"three\""},
      {"a negative step count", 0.0f, 0.1f, "-7", 3, "adamw_step \"-7\""},
      {"state.json step a string", 0.0f, 0.1f, "3", "3", "'step' must be an integer"},
      {"state.json step negative", 0.0f, 0.1f, "3", -7, "'step' must be an integer"},
  };
  for (const Case& c : cases) {
    const std::string run = fresh_dir("load");
    AdamWState opt;
    adamw_init(opt, n);
    opt.step = 3;
    ASSERT_TRUE(checkpoint_save(run, 3, m, nullptr, opt, run_state_at(3), 2).ok());
    const std::string ckpt = *checkpoint_latest(run);
    // Rewrite the optimiser file and state.json with the case's values.
    std::vector<float> mm(static_cast<size_t>(n), 0.0f), vv(static_cast<size_t>(n), 0.1f);
    mm[5] = c.m_value, vv[9] = c.v_value;
    ASSERT_TRUE(safetensors_write(
                    ckpt + "/optimizer.safetensors",
                    {{"adamw.m", DType::kF32, {n}, mm.data()}, {"adamw.v", DType::kF32, {n}, vv.data()}},
                    {{"adamw_step", c.adamw_step}})
                    .ok());
    nlohmann::json state = run_state_at(3);
    state["step"] = c.step;
    std::ofstream(ckpt + "/state.json") << state.dump();
    AdamWState loaded;
    nlohmann::json loaded_state;
    auto r = checkpoint_load(ckpt, &loaded, &loaded_state);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_NE(status_text(r.status()).find(c.expect), std::string::npos) << c.what << ": " << r.status();
    EXPECT_NE(status_text(r.status()).find(ckpt), std::string::npos) << c.what << ": " << r.status();
  }
}

TEST(NonFinite, AnOverflowingUpdateIsReportedByTheOptimiser) {
  auto local = collective_local();
  OptimizerConfig cfg;
  cfg.adamw.lr = cfg.schedule.lr = 1e37;  // the recipe refuses lr > 1; the optimiser must still tell
  cfg.adamw.weight_decay = 0.0;
  cfg.grad_clip = 0.0;  // the step size is lr's alone
  Model m = test_model(ModelArch::kQwen3, false, 5);
  model_grads_enable(m);
  const int64_t n = m.layout.total;
  LearnerOptimizer opt(cfg, 0, *local, n);
  std::fill(m.grads.begin(), m.grads.end(), 1e-3f);
  opt.step(m, 1);
  EXPECT_TRUE(opt.params_finite()) << "a step of about 1e38 from weights near 0 stays finite";
  // By hand: step 2 with g = -1 after g = 1e-3 moves each weight up by about 0.14 lr / (1 - 0.9^2) = 7e36;
  // from 3.4e38 that passes float's largest value, 3.4028e38.
  m.params.assign(static_cast<size_t>(n), 3.4e38f);
  std::fill(m.grads.begin(), m.grads.end(), -1.0f);
  EXPECT_TRUE(std::isfinite(opt.step(m, 2)));
  EXPECT_FALSE(opt.params_finite()) << "the update overflowed to Inf";
}

TEST(StepGuard, SkipsCountAndStopAfterTheLimitInARow) {
  StepGuard g(3);
  std::string w;
  const double nan = std::nan("");
  EXPECT_TRUE(g.after_step(0, 1.5, true, -1, &w).ok());
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(g.after_step(1, nan, true, -1, &w).ok());
  EXPECT_NE(w.find("WARNING: step 1: the gradient norm is nan"), std::string::npos) << w;
  EXPECT_TRUE(g.after_step(2, std::numeric_limits<double>::infinity(), true, -1, &w).ok());
  EXPECT_NE(w.find("2 in a row"), std::string::npos) << w;
  EXPECT_TRUE(g.after_step(3, 0.7, true, -1, &w).ok()) << "a finite step resets the count in a row";
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(g.after_step(4, nan, true, 2, &w).ok());
  EXPECT_TRUE(g.after_step(5, nan, true, 2, &w).ok());
  absl::Status st = g.after_step(6, nan, true, 2, &w);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("3 steps in a row"), std::string::npos) << st;
  EXPECT_NE(status_text(st).find("optimizer.max_skipped_steps"), std::string::npos) << st;
  EXPECT_NE(status_text(st).find("last checkpoint is step 2"), std::string::npos) << st;
  EXPECT_EQ(g.skipped(), 5);
}

TEST(StepGuard, ANonFiniteUpdateStopsAtOnce) {
  StepGuard g(5);
  std::string w;
  absl::Status st = g.after_step(9, 2.0, false, 5, &w);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(status_text(st).find("step 9: the update made a weight non-finite"), std::string::npos) << st;
  EXPECT_NE(status_text(st).find("optimizer.lr"), std::string::npos) << st;
}

}  // namespace
}  // namespace ascent
