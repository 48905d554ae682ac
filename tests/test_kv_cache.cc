// KV-cache decode against one full forward pass, and batched generation against single-sequence generation.
#include <gtest/gtest.h>

#include <cmath>

#include "generation/generate.h"
#include "model/score.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

// log-softmax of logits at `token`, in double (the definition, computed independently of lm_head.cc).
double logprob_of(const float* logits, int64_t V, int32_t token, double temperature = 1.0) {
  double mx = -1e300, s = 0;
  for (int64_t j = 0; j < V; ++j) mx = std::max(mx, logits[j] / temperature);
  for (int64_t j = 0; j < V; ++j) s += std::exp(logits[j] / temperature - mx);
  return logits[token] / temperature - mx - std::log(s);
}

class KvCacheDecode : public ::testing::TestWithParam<ModelArch> {};

// Prefill 10 tokens, then a 7-token chunk, then one token at a time: every next-token log-prob equals the one
// from a single full forward over the 40-token sequence.
TEST_P(KvCacheDecode, MatchesFullForward) {
  Model m = test_model(GetParam(), GetParam() != ModelArch::kLlama, 21);
  PackedBatch full = test_batch(m.cfg.vocab_size, {40}, 8);
  auto ref = model_forward_logprobs(m, full, nullptr, LmHeadOptions{});
  ASSERT_TRUE(ref.ok());
  const auto& ids = full.tokens;
  const int64_t V = m.cfg.vocab_size;
  KvCache cache = kv_cache_create(m, 2, 40);  // slot 1 is used; slot 0 stays untouched
  std::vector<float> logits(V);
  int64_t pos = 0;
  for (int64_t len : std::vector<int64_t>{10, 7}) {
    PackedBatch b;
    b.tokens.assign(ids.begin() + pos, ids.begin() + pos + len);
    b.segments = {{len, pos, 1}};
    ASSERT_TRUE(model_forward_last_logits(m, b, cache, logits.data()).ok());
    pos += len;
    EXPECT_NEAR(logprob_of(logits.data(), V, ids[pos]), (*ref)[pos - 1], 1e-5)
        << "after chunk ending at " << pos;
  }
  for (; pos < 39; ++pos) {
    PackedBatch b;
    b.tokens = {ids[pos]};
    b.segments = {{1, pos, 1}};
    ASSERT_TRUE(model_forward_last_logits(m, b, cache, logits.data()).ok());
    EXPECT_NEAR(logprob_of(logits.data(), V, ids[pos + 1]), (*ref)[pos], 1e-5) << "position " << pos;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, KvCacheDecode,
                         ::testing::Values(ModelArch::kQwen2, ModelArch::kLlama, ModelArch::kQwen3),
                         arch_param_name);

// One decode step over three sequences at different positions equals three separate steps.
TEST(KvCache, MixedPositionsInOneStep) {
  Model m = test_model(ModelArch::kQwen3, true, 4);
  const int64_t V = m.cfg.vocab_size;
  PackedBatch seqs = test_batch(V, {5, 12, 8}, 3);
  KvCache together = kv_cache_create(m, 3, 16), apart = kv_cache_create(m, 3, 16);
  int64_t start = 0;
  PackedBatch step;
  std::vector<float> lg(3 * V);
  for (int64_t s = 0; s < 3; ++s) {
    const int64_t len = seqs.segments[s].len;
    PackedBatch pre;  // prefill all but the last token into slot s of both caches
    pre.tokens.assign(seqs.tokens.begin() + start, seqs.tokens.begin() + start + len - 1);
    pre.segments = {{len - 1, 0, s}};
    ASSERT_TRUE(model_forward_last_logits(m, pre, together, lg.data()).ok());
    ASSERT_TRUE(model_forward_last_logits(m, pre, apart, lg.data()).ok());
    step.tokens.push_back(seqs.tokens[start + len - 1]);
    step.segments.push_back({1, len - 1, s});
    start += len;
  }
  ASSERT_TRUE(model_forward_last_logits(m, step, together, lg.data()).ok());
  for (int64_t s = 0; s < 3; ++s) {
    PackedBatch one;
    one.tokens = {step.tokens[s]};
    one.segments = {step.segments[s]};
    std::vector<float> alone(V);
    ASSERT_TRUE(model_forward_last_logits(m, one, apart, alone.data()).ok());
    for (int64_t j = 0; j < V; ++j)
      EXPECT_NEAR(lg[s * V + j], alone[j], 1e-5) << "seq " << s << " logit " << j;
  }
}

TEST(KvCache, RejectsOverflow) {
  Model m = test_model(ModelArch::kQwen2, true, 4);
  KvCache cache = kv_cache_create(m, 1, 4);
  PackedBatch b;
  b.tokens = {1, 2, 3, 4, 5};
  b.segments = {{5, 0, 0}};
  std::vector<float> lg(m.cfg.vocab_size);
  auto st = model_forward_last_logits(m, b, cache, lg.data());
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange) << st;
}

// The log-prob recorded for each sampled token is the log-prob of that token under logits / temperature, as a
// fresh scoring pass over prompt + completion computes it; and sampling is reproducible for a seed.
TEST(Generate, RecordedLogprobsMatchRescoring) {
  Model m = test_model(ModelArch::kQwen2, true, 5, 0.5f);
  GenerateRequest req;
  req.prompt = {3, 9, 27, 1};
  req.batch = 4;
  req.max_tokens = 20;
  req.sampler.temperature = 0.8f;
  req.seed = 17;
  auto r = generate_batch(m, req);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& t : r->tokens) {
    std::vector<int32_t> s = req.prompt;
    s.insert(s.end(), t.begin(), t.end());
    seqs.push_back(s);
  }
  LmHeadOptions opt;
  opt.temperature = 0.8f;
  auto scored = score_sequences(m, seqs, 1 << 20, opt, false);
  ASSERT_TRUE(scored.ok());
  const size_t P = req.prompt.size();
  for (size_t b = 0; b < seqs.size(); ++b) {
    ASSERT_EQ(r->logprobs[b].size(), r->tokens[b].size());
    for (size_t t = 0; t < r->tokens[b].size(); ++t) {
      EXPECT_NEAR(r->logprobs[b][t], (*scored)[b].logprobs[P - 1 + t], 1e-4)
          << "completion " << b << " token " << t;
    }
  }
  auto again = generate_batch(m, req);
  EXPECT_EQ(again->tokens, r->tokens);
  // The batch does not change a completion: slot 0 of the batch equals a batch of one with the same seed.
  req.batch = 1;
  auto single = generate_batch(m, req);
  EXPECT_EQ(single->tokens[0], r->tokens[0]);
  // Completions differ from each other (independent streams).
  EXPECT_NE(r->tokens[0], r->tokens[1]);
}

TEST(Generate, GreedyFollowsArgmax) {
  Model m = test_model(ModelArch::kLlama, false, 6, 0.5f);
  GenerateRequest req;
  req.prompt = {5, 6, 7};
  req.max_tokens = 8;
  req.sampler.temperature = 0.0f;
  auto r = generate_batch(m, req);
  ASSERT_TRUE(r.ok());
  // Re-derive each greedy token from a full forward over the growing sequence.
  std::vector<int32_t> seq = req.prompt;
  for (int32_t tok : r->tokens[0]) {
    KvCache c = kv_cache_create(m, 1, static_cast<int64_t>(seq.size()));
    PackedBatch b;
    b.tokens = seq;
    b.segments = {{static_cast<int64_t>(seq.size()), 0, 0}};
    std::vector<float> lg(m.cfg.vocab_size);
    ASSERT_TRUE(model_forward_last_logits(m, b, c, lg.data()).ok());
    EXPECT_EQ(tok, std::max_element(lg.begin(), lg.end()) - lg.begin());
    seq.push_back(tok);
  }
}

}  // namespace

}  // namespace ascent
