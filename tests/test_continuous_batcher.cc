// The actor's continuous batching (generation/continuous_batcher.h): requests joining and leaving the batch at any
// step give the same tokens and log-probs as generating each request alone (generate_batch, same seed); the
// recorded log-probs equal a fresh forward pass; tokens carry the weights version that sampled them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "generation/continuous_batcher.h"
#include "generation/generate.h"
#include "tests/batcher_fixtures.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

GenRequest request(int64_t id, int64_t prompt_len, int64_t n, int64_t max_tokens, uint64_t seed) {
  GenRequest r;
  r.id = id;
  Rng rng(1000 + id);
  for (int64_t i = 0; i < prompt_len; ++i) r.prompt.push_back(static_cast<int32_t>(rng.next_u64() % 40));
  r.n = n, r.max_tokens = max_tokens, r.seed = seed;
  r.sampler = {1.0f, 0, 1.0f};
  return r;
}

std::map<std::pair<int64_t, int64_t>, GenSequence> run(Model& m, const std::vector<GenRequest>& reqs,
                                                       const std::vector<int>& arrive, int64_t slots) {
  return batcher_run(m, reqs, arrive, slots, 64, 1000);
}

TEST(ContinuousBatcher, SameTokensAndLogprobsAsGeneratingEachRequestAlone) {
  Model m = test_model(ModelArch::kQwen2, false, 7);
  std::vector<GenRequest> reqs = {request(0, 5, 3, 12, 11), request(1, 9, 1, 20, 12), request(2, 3, 4, 7, 13),
                                  request(3, 7, 2, 15, 14), request(4, 4, 2, 9, 15)};
  reqs[1].stop_ids = {3, 17};  // some sequences stop early and free their slots
  // Requests arrive while others run; 8 slots: request 4 waits for slots to free.
  const auto got = run(m, reqs, {0, 0, 2, 5, 6}, 8);
  for (const GenRequest& r : reqs) {
    GenerateRequest g;
    g.prompt = r.prompt, g.batch = r.n, g.max_tokens = r.max_tokens, g.sampler = r.sampler, g.seed = r.seed;
    g.stop_ids = r.stop_ids;
    absl::StatusOr<GenerateResult> alone = generate_batch(m, g);
    ASSERT_TRUE(alone.ok());
    for (int64_t i = 0; i < r.n; ++i) {
      auto it = got.find({r.id, i});
      ASSERT_NE(it, got.end()) << "request " << r.id << " completion " << i << " never finished";
      EXPECT_EQ(it->second.tokens, alone->tokens[i]) << "request " << r.id << " completion " << i;
      ASSERT_EQ(it->second.logprobs.size(), alone->logprobs[i].size());
      for (size_t t = 0; t < alone->logprobs[i].size(); ++t) {
        EXPECT_NEAR(it->second.logprobs[t], alone->logprobs[i][t], 2e-5)
            << r.id << "/" << i << " token " << t;
      }
      EXPECT_EQ(it->second.finish_reason,
                alone->tokens[i].size() < static_cast<size_t>(r.max_tokens) ? "stop" : "length");
    }
  }
}

// Temperature 1 without top-k/top-p samples from the model itself: the recorded log-prob of every token is
// the log-prob a fresh forward pass gives over the finished sequence.
TEST(ContinuousBatcher, RecordedLogprobsMatchAFreshForward) {
  Model m = test_model(ModelArch::kQwen3, true, 9);
  const auto got = run(m, {request(0, 6, 4, 16, 3), request(1, 4, 2, 10, 4)}, {0, 3}, 6);
  ASSERT_EQ(got.size(), 6u);
  for (const auto& [key, s] : got) {
    std::vector<int32_t> ids = s.prompt;
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
    PackedBatch b;
    batch_add_sequence(b, ids);
    absl::StatusOr<std::vector<float>> lp = model_forward_logprobs(m, b, nullptr, LmHeadOptions{});
    ASSERT_TRUE(lp.ok());
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      // lp[j] is the log-prob of ids[j + 1]; token t is ids[P + t].
      EXPECT_NEAR(s.logprobs[t], (*lp)[s.prompt.size() + t - 1], 1e-4)
          << key.first << "/" << key.second << " t " << t;
    }
    for (int64_t v : s.versions) EXPECT_EQ(v, 0);
  }
}

// Weights change between two decode steps: running sequences continue on their caches; tokens sampled
// before the update carry version 0 and match version 0's forward; later tokens carry version 1 and were
// sampled from the new weights (they no longer match version 0).
TEST(ContinuousBatcher, InFlightWeightUpdateTagsTokensWithTheirVersion) {
  Model m = test_model(ModelArch::kLlama, false, 21);
  Model v0 = test_model(ModelArch::kLlama, false, 21);
  const Model v1 = test_model(ModelArch::kLlama, false, 22);
  ContinuousBatcher cb(m, 4, 64);
  ASSERT_TRUE(cb.submit(request(0, 5, 2, 20, 8)).ok());
  std::vector<GenSequence> done;
  for (int stepno = 0; !cb.idle(); ++stepno) {
    if (stepno == 6) {  // the learner's new weights arrive
      m.params = v1.params;
      cb.set_version(1);
    }
    absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
    ASSERT_TRUE(fin.ok());
    // The prompt once for the group (5 tokens), then one token per running sequence per step.
    EXPECT_EQ(cb.last_step_tokens(), stepno == 0 ? 5 : 2) << stepno;
    for (GenSequence& s : *fin) done.push_back(std::move(s));
  }
  ASSERT_EQ(done.size(), 2u);
  for (const GenSequence& s : done) {
    ASSERT_EQ(s.tokens.size(), 20u);
    for (size_t t = 0; t < s.tokens.size(); ++t) EXPECT_EQ(s.versions[t], t < 6 ? 0 : 1) << t;
    std::vector<int32_t> ids = s.prompt;
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
    PackedBatch b;
    batch_add_sequence(b, ids);
    const std::vector<float> lp0 = *model_forward_logprobs(v0, b, nullptr, LmHeadOptions{});
    double after = 0;
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      const double d = std::fabs(s.logprobs[t] - lp0[s.prompt.size() + t - 1]);
      if (t < 6) {
        EXPECT_LT(d, 1e-4) << t;
      } else {
        after = std::max(after, d);
      }
    }
    EXPECT_GT(after, 1e-2) << "tokens after the update were not sampled from the new weights";
  }
}

// Forced interruption: at the drawn thinking budget the interruption text is appended as forced tokens
// (log-prob 0, masked), then the completion continues for the solution budget; the model did read the forced
// tokens (the continuation's log-probs equal a fresh forward over the whole sequence, forced tokens
// included).
TEST(ContinuousBatcher, ForcedInterruptionAppendsTheTextAndContinues) {
  Model m = test_model(ModelArch::kQwen2, false, 31);
  GenRequest r = request(0, 4, 6, 12, 77);
  r.interrupt.enabled = true;
  r.interrupt.min_tokens = 3, r.interrupt.max_tokens = 9;
  r.interrupt.forced = {30, 31, 32};
  r.interrupt.end_think_id = 39;
  r.interrupt.solution_tokens = 5;
  ContinuousBatcher cb(m, 6, 64);
  absl::Status sub = cb.submit(r);
  ASSERT_TRUE(sub.ok()) << sub;
  std::vector<GenSequence> done;
  while (!cb.idle()) {
    absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
    ASSERT_TRUE(fin.ok());
    for (GenSequence& s : *fin) done.push_back(std::move(s));
  }
  ASSERT_EQ(done.size(), 6u);
  std::set<int64_t> budgets;
  int interrupted = 0;
  for (const GenSequence& s : done) {
    ASSERT_GE(s.think_budget, 3);
    ASSERT_LE(s.think_budget, 9);
    budgets.insert(s.think_budget);
    const size_t b = static_cast<size_t>(s.think_budget);
    const auto end_think = std::find(s.tokens.begin(), s.tokens.begin() + std::min(b, s.tokens.size()), 39);
    if (end_think != s.tokens.begin() + std::min(b, s.tokens.size())) {
      EXPECT_FALSE(s.interrupted);  // thought to the end by itself: nothing forced
      continue;
    }
    ++interrupted;
    ASSERT_TRUE(s.interrupted) << "budget " << s.think_budget << " tokens "
                               << testing::PrintToString(s.tokens);
    ASSERT_EQ(s.tokens.size(), b + 3 + 5);  // budget, the text, the solution budget
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      const bool forced = t >= b && t < b + 3;
      EXPECT_EQ(s.forced[t], forced ? 1 : 0) << t;
      if (forced) {
        EXPECT_EQ(s.tokens[t], 30 + static_cast<int32_t>(t - b));
        EXPECT_EQ(s.logprobs[t], 0.0f);
      }
    }
    EXPECT_EQ(s.finish_reason, "length");
    std::vector<int32_t> ids = s.prompt;
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
    PackedBatch bt;
    batch_add_sequence(bt, ids);
    const std::vector<float> lp = *model_forward_logprobs(m, bt, nullptr, LmHeadOptions{});
    for (size_t t = b + 3; t < s.tokens.size(); ++t)
      EXPECT_NEAR(s.logprobs[t], lp[s.prompt.size() + t - 1], 1e-4) << t;
  }
  EXPECT_GT(interrupted, 0);
  EXPECT_GT(budgets.size(), 1u);  // drawn per completion
}

// Stop strings: a completion ends with the token whose bytes complete one of them, even across tokens. The
// expected end is found in the text of the same request run without stop strings (same seed, same tokens).
TEST(ContinuousBatcher, StopStringsEndTheCompletionWhereTheTextContainsThem) {
  Model m = test_model(ModelArch::kQwen2, false, 41);
  auto text_of = [](int32_t id) {
    return std::string(1, static_cast<char>('a' + id % 26)) + (id % 3 == 0 ? "." : "");
  };
  auto run_one = [&](std::vector<std::string> stops) {
    ContinuousBatcher cb(m, 2, 64, text_of);
    GenRequest r = request(0, 5, 1, 30, 5);
    r.stop_strings = std::move(stops);
    EXPECT_TRUE(cb.submit(r).ok());
    std::vector<GenSequence> done;
    while (!cb.idle()) {
      absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
      EXPECT_TRUE(fin.ok());
      if (!fin.ok()) break;
      for (GenSequence& s : *fin) done.push_back(std::move(s));
    }
    return done.at(0);
  };
  const GenSequence free_run = run_one({});
  ASSERT_EQ(free_run.tokens.size(), 30u);
  std::string text;
  std::vector<size_t> end_of_token;  // text length after each token
  for (int32_t t : free_run.tokens) text += text_of(t), end_of_token.push_back(text.size());
  // A stop string across tokens 5 and 6: the last byte of token 5 and the first of token 6.
  const std::string stop = text.substr(end_of_token[4] - 1, 2);
  const size_t at = text.find(stop);
  size_t want = 0;
  while (end_of_token[want] < at + stop.size()) ++want;  // the token that completes the first occurrence
  const GenSequence stopped = run_one({"zzzz-never", stop});
  EXPECT_EQ(stopped.finish_reason, "stop");
  ASSERT_EQ(stopped.tokens.size(), want + 1);
  EXPECT_TRUE(std::equal(stopped.tokens.begin(), stopped.tokens.end(), free_run.tokens.begin()));
  // Without a tokenizer, stop strings are refused.
  ContinuousBatcher plain(m, 2, 64);
  GenRequest r = request(1, 5, 1, 10, 5);
  r.stop_strings = {"x"};
  EXPECT_FALSE(plain.submit(r).ok());
}

TEST(ContinuousBatcher, LagBoundPausesAdmissionAndBadRequestsAreRefused) {
  Model m = test_model(ModelArch::kQwen2, true, 5);
  ContinuousBatcher cb(m, 4, 32);
  EXPECT_FALSE(cb.submit(request(0, 0, 1, 4, 1)).ok());    // empty prompt
  EXPECT_FALSE(cb.submit(request(1, 4, 5, 4, 1)).ok());    // n above the slots
  EXPECT_FALSE(cb.submit(request(2, 20, 1, 20, 1)).ok());  // too long for a slot
  ASSERT_TRUE(cb.submit(request(3, 4, 2, 30 - 4, 1)).ok());
  ASSERT_TRUE(cb.step().ok());
  cb.set_version(3);
  EXPECT_EQ(cb.oldest_running_version(), 0);  // the running tokens were sampled at version 0
  cb.pause_admission(true);                   // e.g. with k = 2, version 3 - 0 > 2: no new prompts
  ASSERT_TRUE(cb.submit(request(4, 4, 1, 4, 2)).ok());
  ASSERT_TRUE(cb.step().ok());
  EXPECT_EQ(cb.queued(), 1);
  EXPECT_EQ(cb.running(), 2);
  cb.pause_admission(false);
  ASSERT_TRUE(cb.step().ok());
  EXPECT_EQ(cb.queued(), 0);
  EXPECT_EQ(cb.running(), 3);
}

}  // namespace

}  // namespace ascent
