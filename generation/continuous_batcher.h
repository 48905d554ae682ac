// Continuous batching over the engine's KV cache (the actor's generation engine, PipelineRL-style):
// requests join the running batch at any decode step and sequences leave it when they finish, in one model
// call per step that mixes the prefill of newly admitted prompts with one decode token of every running
// sequence (Segment{len, pos0, slot}). The n completions of a request share its prompt's prefill (the cache
// slot is copied). Each sampled token records its FP32 log-prob under the distribution actually sampled from
// (after temperature and top-k/top-p renormalisation, generation/sampler.h) and the policy version of the weights
// that sampled it. Weights may change between two steps (set_version after updating the model in place):
// running sequences keep their caches and continue, as PipelineRL does.
// Random streams: completion i of a request with seed s uses Rng(s * 0x9e3779b97f4a7c15 + i), as
// generate_batch does, so a request gives the same tokens whatever else shares the batch.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "generation/sampler.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace ascent {

// Forced interruption (docs/algorithms.md section 5, ScaleRL): when a completion has thought for `budget`
// tokens, drawn uniformly from [min_tokens, max_tokens] per completion, without emitting `end_think_id`
// itself, the `forced` tokens (the interruption text, ending in </think>) are appended, not sampled, and the
// completion continues for `solution_tokens` more sampled tokens. A completion that ends its thinking by
// itself gets the same solution budget from there.
struct InterruptConfig {
  bool enabled = false;
  int64_t min_tokens = 0, max_tokens = 0;
  std::vector<int32_t> forced;
  int32_t end_think_id = -1;
  int64_t solution_tokens = 0;
};

struct GenSequence;

// Multi-turn tool use (docs/agentic.md). When an assistant turn ends (a stop id: the end-of-turn token), the batcher
// hands the sequence to the hook, which parses the turn for tool calls. If it took a call, the sequence waits in
// its slot (its KV cache kept, no model input, the other sequences decode on) while the hook runs the tools off
// the decode thread; poll() then gives the tokens to append: the rest of the chat template's glue after the
// end-of-turn token, the rendered tool results and the next assistant header. They are appended as they are
// (forced: log-prob 0, no loss) after the end-of-turn token, so turn N+1 extends exactly the tokens of turn N,
// and decoding resumes in the same slot with a fresh per-turn budget.
struct ToolResume {
  int64_t ticket = 0;
  std::vector<int32_t> tokens;      // appended as forced tokens; empty: the completion ends here ("stop")
  int64_t calls = 0;                // tool calls the turn made (added to GenSequence::tool_calls)
  std::vector<std::string> errors;  // the error kind of each failed call
};

class ToolHook {
 public:
  virtual ~ToolHook() = default;
  // The turn seq.tokens[turn_start, end) ended (its end-of-turn token last). True: the hook took tool calls and
  // will answer `ticket` through poll(); false: the turn is an answer and the completion ends. Runs on the
  // decode thread: it must not wait for a tool.
  virtual bool turn_ended(int64_t ticket, const GenSequence& seq, int64_t turn_start) = 0;
  // The answers ready now, in any order; never blocks.
  virtual std::vector<ToolResume> poll() = 0;
  // Blocks until an answer is ready or `ms` milliseconds pass (the batcher calls it when every running
  // sequence waits for a tool).
  virtual void wait(int ms) = 0;
};

struct ToolUse {
  ToolHook* hook = nullptr;  // null: single-turn completions
  int64_t max_turns = 1;     // assistant turns per completion (1: no tool calls)
  // Completion tokens in all (sampled and appended); a resume that would pass it ends the completion
  // ("length") without the tool result. 0: the request's slot length bounds it.
  int64_t max_total_tokens = 0;
};

struct GenRequest {
  int64_t id = 0;
  std::vector<int32_t> prompt;
  int64_t n = 1;  // completions sharing the prompt (a GRPO group)
  int64_t max_tokens = 64;
  SamplerConfig sampler;
  uint64_t seed = 0;
  std::vector<int32_t> stop_ids;
  // A completion whose text (the bytes of its sampled tokens) comes to contain one of these ends there, its
  // last token kept (as with stop ids). Needs the batcher's token_text.
  std::vector<std::string> stop_strings;
  InterruptConfig interrupt;  // max_tokens then bounds the thinking phase (budget <= max_tokens)
  ToolUse tools;              // max_tokens then bounds each assistant turn; not with interruption
};

struct GenSequence {
  int64_t request_id = 0, index = 0;
  std::vector<int32_t> prompt, tokens;
  std::vector<float> logprobs;
  std::vector<int64_t> versions;  // the policy version that sampled each token (forced: the current one)
  // 1: appended, not sampled (forced interruption, tool results and template glue: no loss, log-prob 0)
  std::vector<uint8_t> forced;
  int64_t think_budget = -1;  // the drawn interruption budget (-1: no interruption configured)
  bool interrupted = false;
  int64_t turns = 1;                           // assistant turns (tool use: one more after each tool result)
  int64_t tool_calls = 0;                      // tool calls answered (a malformed call counts as one)
  std::map<std::string, int64_t> tool_errors;  // failed calls by error kind
  std::string finish_reason;                   // "stop" or "length"
};

class ContinuousBatcher {
 public:
  // slots: sequences that can run at once; max_len: prompt + completion tokens per slot.
  // token_text: the bytes of a token (e.g. HfTokenizer::token_bytes), for stop strings; may be empty.
  ContinuousBatcher(Model& m, int64_t slots, int64_t max_len,
                    std::function<std::string(int32_t)> token_text = nullptr);

  // Queues a request; it is admitted when n slots are free. Errors: empty prompt, n > slots, too long.
  absl::Status submit(GenRequest req);
  // Admits what fits, runs one model call, samples; returns the sequences that finished in this step.
  absl::StatusOr<std::vector<GenSequence>> step();
  bool idle() const { return queue_.empty() && running_ == 0; }
  int64_t running() const { return running_; }  // including those waiting for a tool
  int64_t waiting_for_tools() const { return static_cast<int64_t>(tickets_.size()); }
  int64_t queued() const { return static_cast<int64_t>(queue_.size()); }
  // Tokens the last step fed to the model: prompts admitted + one per decoding sequence (+ forced tokens).
  int64_t last_step_tokens() const { return last_step_tokens_; }
  // The version of the weights from now on (call after changing the model's parameters between steps).
  void set_version(int64_t v) { version_ = v; }
  int64_t version() const { return version_; }
  // Stops admitting queued requests (the lag bound); running sequences continue.
  void pause_admission(bool paused) { paused_ = paused; }
  // The oldest version among tokens of running sequences (version() when none is running).
  int64_t oldest_running_version() const;

 private:
  struct Slot {
    bool busy = false, fresh = false;  // fresh: admitted, its prompt not yet prefilled
    GenSequence seq;
    GenRequest* req = nullptr;
    Rng rng{0};
    int64_t max_tokens = 0;     // sampled-token limit of the current phase, counted from phase_start
    int64_t phase_start = 0;    // index in seq.tokens where the current phase began
    bool solving = false;       // in the solution phase (after </think>, forced or not)
    int64_t fed = 0;            // completion tokens already in the KV cache
    int64_t group_leader = -1;  // the slot whose prefill this one copies (n > 1)
    std::string text_tail;      // the last bytes of the sampled text, enough to find a stop string
    bool waiting = false;       // for a tool (ToolHook)
  };
  bool hits_stop_string(Slot& s, int32_t token);
  // At the end of a turn: whether the hook took tool calls (the slot then waits for its ticket).
  bool start_tool_wait(int64_t k, Slot& s);
  // Appends the tool answers ready now and resumes their sequences; those that end go to `finished`.
  void resume_tool_waits(std::vector<GenSequence>& finished);
  void finish(Slot& s, const char* reason, std::vector<GenSequence>& finished);
  // Appends tokens that were not sampled (log-prob 0, the current version, forced = 1).
  void append_forced(Slot& s, const std::vector<int32_t>& tokens);
  Model& m_;
  std::function<std::string(int32_t)> token_text_;
  KvCache cache_;
  std::vector<Slot> slots_;
  std::deque<GenRequest> queue_;
  std::deque<GenRequest> admitted_;  // requests whose sequences are running (stable addresses)
  int64_t running_ = 0, version_ = 0, max_len_ = 0, last_step_tokens_ = 0;
  bool paused_ = false;
  std::vector<float> logits_;
  std::map<int64_t, int64_t> tickets_;  // a waiting sequence's ticket -> its slot
  int64_t next_ticket_ = 0;
};

}  // namespace ascent
