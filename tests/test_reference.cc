// Compares the engine with Hugging Face transformers + PyTorch on the committed dumps of
// tests/reference/make_reference.py: logits, per-token log-probs, SFT and RL losses, every gradient, and the
// parameters, log-probs, losses and gradients after one and three AdamW steps. Both sequences are packed into
// ONE batch here (the reference ran them separately), so packing is checked too. Any miss fails the process.
//
// Tolerances (float32 everywhere, different summation orders):
//  - logits / log-probs / losses: 2e-5 absolute (values are O(1..10); float32 GEMM reorderings give ~1e-6);
//  - gradients: 1e-4 of the tensor's largest |value| (the backward sums over tokens in a different order);
//  - after AdamW steps, parameters: 1e-4 of the tensor's largest |value| plus 2% of lr per step taken. Adam's
//    step lr * g / (|g| + eps) is decided by float32 rounding where |g| is near eps: in the llama case,
//    clipping scales gradients by 0.0078 and the smallest become ~6e-9 < eps = 1e-8 (checked on the dump), so
//    a 1e-4 relative gradient difference moves such an element by ~1% of lr. Log-probs after the steps: 5e-4
//    absolute, gradients 1e-3 of the largest |value|, for the same reason; the loss after the steps (the mean
//    of those log-probs) 1e-4 (seen: 2.1e-5 in a build without FMA, 1e-5 with).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "model/adamw.h"
#include "model/loss.h"
#include "model/transformer.h"
#include "tests/reference_dump.h"

namespace ascent {

namespace {

void expect_close(const std::string& what, const float* ours, const RefTensor& ref, double atol,
                  double rtol) {
  Diff d = diff_max(ours, ref.data.data(), static_cast<int64_t>(ref.data.size()));
  const double tol = atol + rtol * d.ref_max;
  EXPECT_LE(d.max_abs, tol) << what << ": max |ours - torch| = " << d.max_abs << " (largest |torch| "
                            << d.ref_max << ")";
}

void expect_grads(const Model& m, const std::map<std::string, RefTensor>& ref, const std::string& prefix,
                  double rtol) {
  for (const ParamInfo& p : m.layout.params) {
    auto it = ref.find(prefix + p.name);
    ASSERT_NE(it, ref.end()) << "reference lacks " << prefix << p.name;
    ASSERT_EQ(static_cast<int64_t>(it->second.data.size()), p.numel) << p.name;
    expect_close(prefix + p.name, m.grads.data() + p.offset, it->second, 1e-7, rtol);
  }
}

class ReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTest, MatchesTransformers) {
  const std::string dir = fixture_path("ref_" + GetParam());
  auto ref_or = reference_dump_read(dir + "/reference.bin");
  ASSERT_TRUE(ref_or.ok()) << ref_or.status();
  const auto& ref = *ref_or;
  auto m_or = model_load(dir);
  ASSERT_TRUE(m_or.ok()) << m_or.status();
  Model& m = *m_or;
  model_grads_enable(m);

  PackedBatch b;
  batch_add_sequence(b, ref_ids(ref.at("seq0")));
  batch_add_sequence(b, ref_ids(ref.at("seq1")));
  LmHeadOptions opt;
  opt.chunk_bytes = 4 * m.cfg.vocab_size * 5;  // 5 rows per chunk: exercises the chunk loop

  // Full logits of each sequence through the KV-cache path (prefill = whole sequence, then per-position).
  for (int s = 0; s < 2; ++s) {
    const auto ids = ref_ids(ref.at("seq" + std::to_string(s)));
    const RefTensor& lg = ref.at("logits" + std::to_string(s));
    KvCache cache = kv_cache_create(m, 1, static_cast<int64_t>(ids.size()));
    for (size_t t = 0; t < ids.size(); ++t) {
      PackedBatch step;
      step.tokens = {ids[t]};
      step.segments = {{1, static_cast<int64_t>(t), 0}};
      std::vector<float> logits(m.cfg.vocab_size);
      ASSERT_TRUE(model_forward_last_logits(m, step, cache, logits.data()).ok());
      RefTensor row;
      row.data.assign(lg.data.begin() + t * m.cfg.vocab_size, lg.data.begin() + (t + 1) * m.cfg.vocab_size);
      expect_close("logits seq" + std::to_string(s) + " pos " + std::to_string(t), logits.data(), row, 2e-5,
                   0);
    }
  }

  // Step 0: SFT.
  ForwardState st;
  auto lp = model_forward_logprobs(m, b, &st, opt);
  ASSERT_TRUE(lp.ok()) << lp.status();
  expect_close("step0.logprobs", lp->data(), ref.at("step0.logprobs"), 2e-5, 0);
  std::vector<float> dlogp;
  float loss = static_cast<float>(loss_sft(*lp, {}, &dlogp));
  expect_close("step0.loss", &loss, ref.at("step0.loss"), 2e-5, 0);
  model_grads_zero(m);
  model_backward_logprobs(m, b, st, dlogp, opt);
  expect_grads(m, ref, "step0.grad.", 1e-4);

  // RL loss: -sum w_t logp_t.
  const RefTensor& w = ref.at("rl.weights");
  loss = static_cast<float>(loss_weighted_logprob(*lp, w.data, &dlogp));
  expect_close("rl.loss", &loss, ref.at("rl.loss"), 2e-5, 0);
  model_grads_zero(m);
  model_backward_logprobs(m, b, st, dlogp, opt);
  expect_grads(m, ref, "rl.grad.", 1e-4);

  // Three AdamW steps on the SFT loss.
  AdamWConfig ac;
  ac.beta1 = ref.at("adam.beta1").data[0];
  ac.beta2 = ref.at("adam.beta2").data[0];
  ac.eps = ref.at("adam.eps").data[0];
  ac.weight_decay = ref.at("adam.weight_decay").data[0];
  const double lr = ref.at("adam.lr").data[0];
  const double clip = ref.at("adam.clip").data[0];
  AdamWState as;
  adamw_init(as, m.layout.total);
  for (int step = 1; step <= 3; ++step) {
    ForwardState s2;
    auto l2 = model_forward_logprobs(m, b, &s2, opt);
    ASSERT_TRUE(l2.ok());
    loss_sft(*l2, {}, &dlogp);
    model_grads_zero(m);
    model_backward_logprobs(m, b, s2, dlogp, opt);
    if (clip > 0) {
      float norm = static_cast<float>(grad_clip_global_norm(m.grads.data(), m.layout.total, clip));
      expect_close("clip norm step " + std::to_string(step), &norm,
                   ref.at("clip_norm_before_step" + std::to_string(step)), 0, 1e-4);
    }
    adamw_step(as, ac, lr, m.params.data(), m.grads.data(), m.layout.total);
    if (step == 2) continue;
    const std::string pre = "step" + std::to_string(step) + ".";
    for (const ParamInfo& p : m.layout.params) {
      expect_close(pre + "param." + p.name, m.params.data() + p.offset, ref.at(pre + "param." + p.name),
                   0.02 * lr * step, 1e-4);
    }
    ForwardState s3;
    auto l3 = model_forward_logprobs(m, b, &s3, opt);
    ASSERT_TRUE(l3.ok());
    expect_close(pre + "logprobs", l3->data(), ref.at(pre + "logprobs"), 5e-4, 0);
    float l3loss = static_cast<float>(loss_sft(*l3, {}, &dlogp));
    expect_close(pre + "loss", &l3loss, ref.at(pre + "loss"), 1e-4, 0);
    model_grads_zero(m);
    model_backward_logprobs(m, b, s3, dlogp, opt);
    expect_grads(m, ref, pre + "grad.", 1e-3);
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, ReferenceTest, ::testing::Values("qwen2", "llama", "qwen3"));

}  // namespace

}  // namespace ascent
