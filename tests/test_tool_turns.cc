// Multi-turn tool use in the continuous batcher (generation/continuous_batcher.h, ToolHook): a completion whose
// turn ends in a tool call waits in its slot while the others decode, gets the tool's tokens appended (forced,
// no loss) and goes on in the same KV cache. Checked against a turn-by-turn replay that recomputes every token
// from a fresh forward pass over the whole sequence with the same random stream; the output does not depend on
// the tools' latency nor on what shares the batch; the limits end a completion where they say.
#include <gtest/gtest.h>

#include <map>

#include "generation/continuous_batcher.h"
#include "generation/sampler.h"
#include "tests/batcher_fixtures.h"
#include "tests/model_fixtures.h"

namespace ascent {
namespace {

// Turns end at these ids; 0-4 are tool calls, 5 is an answer.
const std::vector<int32_t> kTurnEnds = {0, 1, 2, 3, 4, 5};
constexpr int32_t kAnswer = 5;

// The tool's tokens for a turn: a function of the turn (so that a wrong turn boundary shows).
std::vector<int32_t> tool_tokens(const std::vector<int32_t>& tokens, int64_t turn_start) {
  int32_t sum = 0;
  for (size_t i = static_cast<size_t>(turn_start); i < tokens.size(); ++i) sum += tokens[i];
  return {30, 31, static_cast<int32_t>(sum % 40), 32};
}

// A scripted tool: a call's answer is ready after `delay(ticket)` polls; wait() only counts.
class ScriptedHook : public ToolHook {
 public:
  // every_turn_calls: every turn end is a call, the answer id too.
  explicit ScriptedHook(std::function<int(int64_t)> delay, bool every_turn_calls = false)
      : delay_(std::move(delay)), every_turn_calls_(every_turn_calls) {}
  bool turn_ended(int64_t ticket, const GenSequence& seq, int64_t turn_start) override {
    ++turns_seen;
    if (seq.tokens.back() == kAnswer && !every_turn_calls_) return false;
    pending_.push_back({ticket, delay_(ticket), tool_tokens(seq.tokens, turn_start)});
    return true;
  }
  std::vector<ToolResume> poll() override {
    std::vector<ToolResume> out;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->polls_left-- <= 0) {
        out.push_back({it->ticket, it->tokens, 1, {}});
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  void wait(int /*ms*/) override { ++waits; }
  int turns_seen = 0, waits = 0;

 private:
  struct Pending {
    int64_t ticket;
    int polls_left;
    std::vector<int32_t> tokens;
  };
  std::function<int(int64_t)> delay_;
  bool every_turn_calls_;
  std::vector<Pending> pending_;
};

GenRequest tool_request(int64_t id, int64_t n, uint64_t seed, ToolHook* hook, int64_t max_turns = 4) {
  GenRequest r;
  r.id = id;
  Rng rng(500 + id);
  for (int i = 0; i < 5; ++i) r.prompt.push_back(static_cast<int32_t>(6 + rng.next_u64() % 30));
  r.n = n, r.max_tokens = 10, r.seed = seed;
  r.stop_ids = kTurnEnds;
  r.tools.hook = hook;
  r.tools.max_turns = max_turns;
  return r;
}

using Done = BatcherDone;

Done run(Model& m, const std::vector<GenRequest>& reqs, const std::vector<int>& arrive, int64_t slots) {
  return batcher_run(m, reqs, arrive, slots, 128, 5000);
}

// The replay: completion `index` of `r` token by token, each from a fresh forward pass over everything before
// it (no KV cache kept), the tool's tokens appended at each turn end, the same random stream.
GenSequence replay(Model& m, const GenRequest& r, int64_t index) {
  GenSequence s;
  s.prompt = r.prompt;
  Rng rng(r.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(index));
  const int64_t V = m.cfg.vocab_size;
  std::vector<float> logits(static_cast<size_t>(V));
  int64_t turn_start = 0;
  for (;;) {
    std::vector<int32_t> ids = s.prompt;
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
    KvCache cache = kv_cache_create(m, 1, static_cast<int64_t>(ids.size()));
    PackedBatch b;
    b.tokens = ids;
    b.segments.push_back({static_cast<int64_t>(ids.size()), 0, 0});
    EXPECT_TRUE(model_forward_last_logits(m, b, cache, logits.data()).ok());
    const Sample smp = sampler_sample(logits.data(), V, r.sampler, rng);
    s.tokens.push_back(smp.token);
    s.logprobs.push_back(smp.logprob);
    s.forced.push_back(0);
    const bool end = std::find(kTurnEnds.begin(), kTurnEnds.end(), smp.token) != kTurnEnds.end();
    if (end && smp.token != kAnswer && s.turns < r.tools.max_turns) {
      for (int32_t t : tool_tokens(s.tokens, turn_start)) {
        s.tokens.push_back(t);
        s.logprobs.push_back(0.0f);
        s.forced.push_back(1);
      }
      ++s.turns;
      turn_start = static_cast<int64_t>(s.tokens.size());
      continue;
    }
    if (end || static_cast<int64_t>(s.tokens.size()) - turn_start >= r.max_tokens) {
      s.finish_reason = end ? "stop" : "length";
      return s;
    }
  }
}

TEST(ToolTurns, EqualATurnByTurnReplayFromFreshForwards) {
  for (ModelArch arch : {ModelArch::kQwen2, ModelArch::kQwen3, ModelArch::kLlama}) {
    Model m = test_model(arch, false, 31);
    ScriptedHook hook([](int64_t ticket) { return static_cast<int>(ticket % 4); });
    std::vector<GenRequest> reqs = {tool_request(0, 3, 11, &hook), tool_request(1, 2, 12, &hook),
                                    tool_request(2, 4, 13, &hook)};
    const Done got = run(m, reqs, {0, 2, 3}, 6);  // request 2 waits for slots
    ASSERT_EQ(got.size(), 9u);
    int multi = 0;
    for (const GenRequest& r : reqs) {
      for (int64_t i = 0; i < r.n; ++i) {
        const GenSequence& s = got.at({r.id, i});
        const GenSequence want = replay(m, r, i);
        ASSERT_EQ(s.tokens, want.tokens) << "request " << r.id << "/" << i;
        EXPECT_EQ(s.forced, want.forced);
        EXPECT_EQ(s.turns, want.turns);
        EXPECT_EQ(s.tool_calls, s.turns - 1);  // the scripted hook answers one call per turn
        EXPECT_EQ(s.finish_reason, want.finish_reason);
        for (size_t t = 0; t < s.tokens.size(); ++t) {
          EXPECT_NEAR(s.logprobs[t], want.logprobs[t], 2e-5) << r.id << "/" << i << " token " << t;
        }
        multi += s.turns > 1;
      }
    }
    EXPECT_GE(multi, 4) << "too few completions called a tool for the check to mean much";
  }
}

TEST(ToolTurns, SameOutputWhateverTheToolLatencyAndTheBatch) {
  Model m = test_model(ModelArch::kQwen3, true, 41);
  ScriptedHook fast([](int64_t) { return 0; });
  ScriptedHook slow([](int64_t ticket) { return static_cast<int>(ticket * 7 % 23); });
  const Done a = run(m, {tool_request(0, 4, 5, &fast), tool_request(1, 4, 6, &fast)}, {0, 0}, 8);
  const Done b = run(m, {tool_request(0, 4, 5, &slow), tool_request(1, 4, 6, &slow)}, {0, 9}, 5);
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (const auto& [key, s] : a) {
    EXPECT_EQ(s.tokens, b.at(key).tokens) << key.first << "/" << key.second;
    EXPECT_EQ(s.turns, b.at(key).turns);
  }
}

TEST(ToolTurns, AWaitingCompletionDoesNotHoldTheOthers) {
  Model m = test_model(ModelArch::kLlama, false, 51);
  ScriptedHook never([](int64_t) { return 1 << 30; }, true);
  ScriptedHook at_once([](int64_t) { return 0; });
  ContinuousBatcher cb(m, 4, 128);
  GenRequest stuck = tool_request(0, 1, 3, &never, 8);
  for (int32_t t = 0; t < 40; ++t) stuck.stop_ids.push_back(t);  // its first token ends its turn: a call
  ASSERT_TRUE(cb.submit(stuck).ok());
  ASSERT_TRUE(cb.submit(tool_request(1, 2, 4, &at_once)).ok());
  std::vector<GenSequence> done;
  for (int stepno = 0; stepno < 2000 && done.size() < 2; ++stepno) {
    absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
    ASSERT_TRUE(fin.ok()) << fin.status();
    for (GenSequence& s : *fin) done.push_back(std::move(s));
  }
  ASSERT_EQ(done.size(), 2u) << "the completions without a stuck tool did not finish";
  for (const GenSequence& s : done) EXPECT_EQ(s.request_id, 1);
  EXPECT_EQ(never.turns_seen, 1);
  EXPECT_EQ(cb.waiting_for_tools(), 1);
  EXPECT_FALSE(cb.idle());
  // Only the stuck one is left: the batcher waits on its hook instead of spinning, and feeds the model nothing.
  const int waits = never.waits;
  ASSERT_TRUE(cb.step().ok());
  ASSERT_TRUE(cb.step().ok());
  EXPECT_EQ(cb.last_step_tokens(), 0);
  EXPECT_EQ(never.waits, waits + 2);
}

TEST(ToolTurns, LimitsEndACompletion) {
  Model m = test_model(ModelArch::kQwen2, false, 61);
  ScriptedHook hook([](int64_t) { return 0; });
  // One turn: the hook is never asked, the first turn end stops the completion.
  Done one = run(m, {tool_request(0, 6, 7, &hook, 1)}, {0}, 6);
  EXPECT_EQ(hook.turns_seen, 0);
  for (const auto& [key, s] : one) {
    EXPECT_EQ(s.turns, 1);
    for (uint8_t f : s.forced) EXPECT_EQ(f, 0);
  }
  // A total budget: no completion grows past it, and one that would ends "length" without the tool's tokens.
  GenRequest r = tool_request(1, 6, 8, &hook, 50);
  r.tools.max_total_tokens = 20;
  const Done capped = run(m, {r}, {0}, 6);
  ASSERT_EQ(capped.size(), 6u);
  int cut = 0;
  for (const auto& [key, s] : capped) {
    EXPECT_LE(s.tokens.size(), 20u);
    if (s.finish_reason == "length") {
      ++cut;
      EXPECT_EQ(s.forced.back(), 0) << "a cut completion ends in its own token, not the tool's";
    }
  }
  EXPECT_GE(cut, 1);
}

// Only the end-of-turn token ends a turn that may call tools: a stop string ends the completion, the hook
// is never asked.
TEST(ToolTurns, AStopStringEndsTheCompletionWithoutAskingTheHook) {
  Model m = test_model(ModelArch::kQwen2, false, 81);
  ScriptedHook hook([](int64_t) { return 0; }, true);
  ContinuousBatcher cb(m, 8, 128, [](int32_t t) { return "|" + std::to_string(t) + "|"; });
  GenRequest r = tool_request(0, 8, 21, &hook);
  r.stop_ids.clear();
  r.max_tokens = 30;
  r.stop_strings = {"|9|"};
  ASSERT_TRUE(cb.submit(r).ok());
  int on_nine = 0;
  while (!cb.idle()) {
    absl::StatusOr<std::vector<GenSequence>> fin = cb.step();
    ASSERT_TRUE(fin.ok());
    for (const GenSequence& s : *fin) {
      EXPECT_EQ(s.turns, 1);
      if (s.tokens.back() == 9) {
        ++on_nine;
        EXPECT_EQ(s.finish_reason, "stop");
      }
    }
  }
  EXPECT_GE(on_nine, 1) << "no completion met the stop string: the check means nothing";
  EXPECT_EQ(hook.turns_seen, 0);
}

TEST(ToolTurns, AnEmptyAnswerEndsTheCompletionAndBadSettingsAreRefused) {
  Model m = test_model(ModelArch::kQwen2, false, 71);
  class Ender : public ScriptedHook {
   public:
    Ender() : ScriptedHook([](int64_t) { return 0; }) {}
    std::vector<ToolResume> poll() override {
      std::vector<ToolResume> out = ScriptedHook::poll();
      for (ToolResume& r : out) r.tokens.clear();
      return out;
    }
  } ender;
  const Done d = run(m, {tool_request(0, 6, 9, &ender)}, {0}, 6);
  int asked = 0, stopped = 0;
  for (const auto& [key, s] : d) {
    EXPECT_EQ(s.turns, 1);
    stopped += s.finish_reason == "stop";
    // A call answered with no tokens ends the completion there, as a stop, with the call counted.
    if (s.finish_reason == "stop" && s.tokens.back() != kAnswer) {
      ++asked;
      EXPECT_EQ(s.tool_calls, 1);
    }
  }
  EXPECT_EQ(ender.turns_seen, stopped);  // every end-of-turn token asked the hook once
  EXPECT_GE(asked, 1);
  ContinuousBatcher cb(m, 4, 128);
  GenRequest bad = tool_request(1, 1, 1, &ender);
  bad.tools.max_turns = 0;
  EXPECT_FALSE(cb.submit(bad).ok());
  bad = tool_request(2, 1, 1, &ender);
  bad.interrupt.enabled = true;
  bad.interrupt.min_tokens = bad.interrupt.max_tokens = 2;
  bad.interrupt.solution_tokens = 2;
  bad.interrupt.forced = {7};
  const absl::Status st = cb.submit(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("interruption"), std::string::npos) << st;
}

}  // namespace
}  // namespace ascent
