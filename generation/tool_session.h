// The actor's ToolHook (generation/continuous_batcher.h): parses a finished assistant turn for tool calls in the
// model's format (generation/tool_calls.h), runs them on worker threads with a per-call deadline, renders the
// results with the model's chat template (generation/tool_glue.h) and hands the glue's tokens back to the
// batcher. Nothing a tool does stops decoding: a call that fails, is malformed, names an unknown tool, passes
// the completion's call budget or its deadline gets an error message as its result, which the model reads like
// any result (docs/agentic.md), and is counted by kind.
//
// Threads: turn_ended, poll and wait run on the decode thread (which owns `encode`); tools and the template
// run on the workers. A call past its deadline is answered with a timeout at once; a tool that ignores its
// deadline keeps its worker busy until it returns (tools that run code enforce it themselves: a sandbox kills).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "generation/continuous_batcher.h"
#include "generation/generation_config.h"
#include "generation/tool_calls.h"
#include "generation/tool_glue.h"
#include "tools/tool.h"

namespace ascent {

struct ToolSessionConfig {
  ToolCallFormat format = ToolCallFormat::kHermes;
  int64_t max_calls = 8;            // per completion; more get kToolErrorLimit
  double call_timeout_s = 10.0;     // per call (the turn's calls run one after another)
  int64_t max_output_chars = 2000;  // a longer result is cut, with a note the model reads
  int threads = 2;                  // workers
  // Texts the tokenizer turns into control tokens (its added tokens: <|im_end|>, <tool_call>, ...): broken up
  // by a zero-width space wherever a tool's output or an error message holds them, so that nothing a program
  // prints or a model writes becomes a turn marker in the glue.
  std::vector<std::string> reserved_texts;
};

struct ToolStats {
  int64_t turns = 0;  // turns that called tools (or tried to); a turn that timed out counts one call
  int64_t calls = 0, ok = 0;
  std::map<std::string, int64_t> errors;  // by kind
  int64_t glue_failures = 0;              // the template refused the results: the completion ended
};

class ToolSession : public ToolHook {
 public:
  using Decode = std::function<std::string(const std::vector<int32_t>&)>;
  using Encode = std::function<absl::StatusOr<std::vector<int32_t>>(const std::string&)>;
  // `turn_ends`: the texts of the model's end-of-turn tokens. `opt`: the prompt's chat options (tools).
  // `tmpl` must outlive the session.
  ToolSession(ToolSessionConfig cfg, std::vector<std::shared_ptr<const Tool>> tools, const ChatTemplate* tmpl,
              ChatOptions opt, std::vector<std::string> turn_ends, Decode decode, Encode encode);
  ~ToolSession() override;  // waits for the running calls

  bool turn_ended(int64_t ticket, const GenSequence& seq, int64_t turn_start) override;
  std::vector<ToolResume> poll() override;
  void wait(int ms) override;
  ToolStats stats() const;

 private:
  struct Job {
    int64_t ticket = 0;
    std::vector<ToolCall> calls;
    ToolCallParse parse;  // a malformed turn: its error, no calls
    int64_t calls_before = 0;
  };
  struct Done {
    int64_t ticket = 0;
    std::string glue;  // the text to encode ("" with ok false: end the completion)
    bool ok = false;
    int64_t calls = 0;
    std::vector<std::string> errors;  // kinds of the failed calls
  };
  void work();
  Done answer(const Job& job);
  ToolOutput run_call(const ToolCall& c, int64_t index);
  void count(const ToolOutput& o);

  ToolSessionConfig cfg_;
  std::map<std::string, std::shared_ptr<const Tool>> tools_;
  const ChatTemplate* tmpl_;
  ChatOptions opt_;
  std::vector<std::string> turn_ends_;
  Decode decode_;
  Encode encode_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Job> jobs_;
  std::vector<Done> done_;
  std::map<int64_t, std::chrono::steady_clock::time_point> deadlines_;  // tickets not yet answered
  ToolStats stats_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// The chat options of the recipe's prompts and of its tool results (they must match): enable_thinking from
// generation.thinking, and with tools on their schemas as `tools`. Errors: tools_make's.
absl::StatusOr<ChatOptions> chat_options_for(const GenerationConfig& g);
// The same with the tools already made (their schemas).
ChatOptions chat_options_with(const GenerationConfig& g,
                              const std::vector<std::shared_ptr<const Tool>>& tools);

// The session of one decode loop (an actor's or validation's) under the recipe's `tools:` section; null when
// tools are off. The format is the recipe's or read from the model's chat template (an error when the template
// shows none); the end-of-turn texts are the stop ids'. The codec must outlive the session and be used on the
// decode thread only.
absl::StatusOr<std::unique_ptr<ToolSession>> tool_session_make(const GenerationConfig& g,
                                                               const DecodeSettings& s, TextCodec* codec);

}  // namespace ascent
