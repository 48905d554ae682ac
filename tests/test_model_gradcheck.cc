// The whole model's gradient against central finite differences of the whole forward, for each family (qwen2
// with biases and tied embeddings, llama untied, qwen3 with QK-norm) and both loss kinds (SFT cross-entropy
// and an RL per-token weight on log-probs). Every parameter tensor is probed at its largest-gradient and at
// random coordinates; tolerance as in gradcheck.h (2e-3 of the tensor's largest gradient) plus an absolute
// floor of 3e-4: the loss is O(10), its float32 forward rounding ~1e-6 of that, and Richardson's combination
// of steps h and h/2 multiplies such noise by ~150 (4/(2*0.005) + 1/(2*0.01), over 3), i.e. ~2e-4 absolute.
// It matters only for tensors whose gradients are tiny by cancellation (k-projection biases: zero without
// RoPE); their exact values are checked against PyTorch in test_reference.
#include <gtest/gtest.h>

#include "model/loss.h"
#include "tests/gradcheck.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

struct Case {
  ModelArch arch;
  bool tied;
  bool rl;
};

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
  return std::string(model_arch_name(i.param.arch)) + (i.param.tied ? "_tied" : "_untied") +
         (i.param.rl ? "_rl" : "_sft");
}

class ModelGradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(ModelGradcheck, EveryParameter) {
  const Case c = GetParam();
  Model m = test_model(c.arch, c.tied, 7);
  model_grads_enable(m);
  PackedBatch b = test_batch(m.cfg.vocab_size, {6, 9, 4}, 11);
  const int64_t Nt = batch_num_targets(b);
  std::vector<float> weights = random_vec(Nt, 5);  // RL per-token weights (advantage-like, both signs)
  LmHeadOptions opt;
  opt.chunk_bytes = 4 * m.cfg.vocab_size * 4;
  auto loss_of = [&](const std::vector<float>& lp, std::vector<float>* d) {
    return c.rl ? loss_weighted_logprob(lp, weights, d) : loss_sft(lp, {}, d);
  };
  ForwardState st;
  auto lp = model_forward_logprobs(m, b, &st, opt);
  ASSERT_TRUE(lp.ok()) << lp.status();
  std::vector<float> dlogp;
  loss_of(*lp, &dlogp);
  model_backward_logprobs(m, b, st, dlogp, opt);
  auto f = [&] {
    auto l = model_forward_logprobs(m, b, nullptr, opt);
    std::vector<float> unused;
    return loss_of(*l, &unused);
  };
  for (const ParamInfo& p : m.layout.params) {
    GradcheckResult r =
        gradcheck(m.params.data() + p.offset, m.grads.data() + p.offset, p.numel, f, 1e-2f, 4, 3);
    EXPECT_LE(r.max_err, 2e-3 * r.max_grad + 3e-4)
        << p.name << ": max |fd - analytic| " << r.max_err << ", largest |grad| " << r.max_grad;
    EXPECT_GT(r.max_grad, 0.0) << p.name << " received no gradient";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Families, ModelGradcheck,
    ::testing::Values(Case{ModelArch::kQwen2, true, false}, Case{ModelArch::kQwen2, true, true},
                      Case{ModelArch::kLlama, false, false}, Case{ModelArch::kLlama, false, true},
                      Case{ModelArch::kQwen3, true, false}, Case{ModelArch::kQwen3, false, true}),
    case_name);

std::vector<float> grads_of(Model& m, const PackedBatch& b, bool recompute) {
  model_grads_zero(m);
  ForwardState st;
  st.recompute = recompute;
  LmHeadOptions opt;
  auto lp = model_forward_logprobs(m, b, &st, opt);
  std::vector<float> d;
  loss_sft(*lp, {}, &d);
  model_backward_logprobs(m, b, st, d, opt);
  return m.grads;
}

// Activation recomputation runs the very same arithmetic again, so gradients are bit-identical.
TEST(ModelBackward, RecomputeGivesIdenticalGradients) {
  Model m = test_model(ModelArch::kQwen3, true, 3);
  model_grads_enable(m);
  PackedBatch b = test_batch(m.cfg.vocab_size, {12, 5}, 4);
  EXPECT_EQ(grads_of(m, b, false), grads_of(m, b, true));
}

// Deterministic for a fixed thread count: two runs give bit-identical gradients.
TEST(ModelBackward, Deterministic) {
  Model m = test_model(ModelArch::kLlama, false, 3);
  model_grads_enable(m);
  PackedBatch b = test_batch(m.cfg.vocab_size, {100, 37, 64}, 4);
  EXPECT_EQ(grads_of(m, b, false), grads_of(m, b, false));
}

// Packing: log-probs of sequences packed together equal those of each sequence alone (no cross-talk).
TEST(ModelForward, PackedEqualsSeparate) {
  Model m = test_model(ModelArch::kQwen2, true, 9);
  PackedBatch b = test_batch(m.cfg.vocab_size, {7, 13, 2}, 5);
  LmHeadOptions opt;
  auto packed = model_forward_logprobs(m, b, nullptr, opt);
  ASSERT_TRUE(packed.ok());
  size_t off = 0, start = 0;
  for (const Segment& s : b.segments) {
    PackedBatch one;
    batch_add_sequence(one, std::vector<int32_t>(b.tokens.begin() + start, b.tokens.begin() + start + s.len));
    auto alone = model_forward_logprobs(m, one, nullptr, opt);
    ASSERT_TRUE(alone.ok());
    for (size_t i = 0; i < alone->size(); ++i) EXPECT_NEAR((*packed)[off + i], (*alone)[i], 1e-5);
    off += alone->size();
    start += s.len;
  }
}

TEST(ModelForward, RejectsBadBatches) {
  Model m = test_model(ModelArch::kQwen2, true, 9);
  PackedBatch b;
  batch_add_sequence(b, {1, 2, 999});
  auto r = model_forward_logprobs(m, b, nullptr, LmHeadOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("999"), std::string::npos) << r.status();
  PackedBatch bad;
  bad.tokens = {1, 2, 3};
  bad.segments = {{2, 0, -1}};
  EXPECT_FALSE(model_forward_logprobs(m, bad, nullptr, LmHeadOptions{}).ok());
}

}  // namespace

}  // namespace ascent
