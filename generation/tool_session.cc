#include "generation/tool_session.h"

#include "absl/strings/str_cat.h"
#include "core/utf8.h"

namespace ascent {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// `t` with every reserved text broken after its first byte by U+200B (zero-width space).
std::string defuse(std::string t, const std::vector<std::string>& reserved) {
  for (const std::string& r : reserved) {
    if (r.size() < 2) continue;
    for (size_t at = t.find(r); at != std::string::npos; at = t.find(r, at + r.size() + 3)) {
      t.insert(at + 1, "\u200b");
    }
  }
  return t;
}

// What the model reads: the output (valid UTF-8, reserved texts defused, cut at max_chars with a note) or
// "error: " and the message.
std::string model_text(const ToolOutput& o, int64_t max_chars, const std::vector<std::string>& reserved) {
  std::string t = defuse(utf8_lossy(o.text), reserved);
  if (static_cast<int64_t>(t.size()) > max_chars) {
    const size_t all = t.size();
    t.resize(utf8_complete_prefix(t.substr(0, static_cast<size_t>(max_chars))));
    t += absl::StrCat("\n[output cut: ", all, " bytes in all]");
  }
  return o.ok ? t : "error: " + t;
}

}  // namespace

ToolSession::ToolSession(ToolSessionConfig cfg, std::vector<std::shared_ptr<const Tool>> tools,
                         const ChatTemplate* tmpl, ChatOptions opt, std::vector<std::string> turn_ends,
                         Decode decode, Encode encode)
    : cfg_(cfg),
      tmpl_(tmpl),
      opt_(std::move(opt)),
      turn_ends_(std::move(turn_ends)),
      decode_(std::move(decode)),
      encode_(std::move(encode)) {
  for (auto& t : tools) tools_[t->name()] = std::move(t);
  for (int i = 0; i < std::max(1, cfg_.threads); ++i) workers_.emplace_back([this] { work(); });
}

ToolSession::~ToolSession() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    jobs_.clear();
  }
  work_cv_.notify_all();
  for (std::thread& w : workers_) w.join();
}

bool ToolSession::turn_ended(int64_t ticket, const GenSequence& seq, int64_t turn_start) {
  // The turn's text without its end-of-turn token.
  const std::vector<int32_t> turn(seq.tokens.begin() + turn_start, seq.tokens.end() - 1);
  Job job;
  job.ticket = ticket;
  job.parse = tool_calls_parse(cfg_.format, decode_(turn));
  if (!job.parse.attempted()) return false;
  job.calls = job.parse.calls;
  job.calls_before = seq.tool_calls;
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(job.calls.size()));
  {
    std::lock_guard<std::mutex> l(mu_);
    deadlines_[ticket] = Clock::now() + seconds(cfg_.call_timeout_s * static_cast<double>(n));
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
  return true;
}

ToolOutput ToolSession::run_call(const ToolCall& c, int64_t index) {
  if (index >= cfg_.max_calls) {
    return tool_error(kToolErrorLimit, absl::StrCat("at most ", cfg_.max_calls, " tool calls per answer"));
  }
  auto it = tools_.find(c.name);
  if (it == tools_.end()) {
    std::string names;
    for (const auto& [name, t] : tools_) absl::StrAppend(&names, names.empty() ? "" : ", ", name);
    return tool_error(kToolErrorUnknownTool, absl::StrCat("no tool \"", c.name, "\"; the tools: ", names));
  }
  try {  // a tool must not throw (tools/tool.h); one that does fails its call, not the actor
    return it->second->run(c.arguments, Clock::now() + seconds(cfg_.call_timeout_s));
  } catch (const std::exception& e) {
    return tool_error(kToolErrorFailed, absl::StrCat(c.name, " failed: ", e.what()));
  } catch (...) {
    return tool_error(kToolErrorFailed, c.name + " failed");
  }
}

ToolSession::Done ToolSession::answer(const Job& job) {
  std::vector<ToolResult> results;
  std::vector<ToolOutput> outs;
  if (job.calls.empty()) {  // a malformed or truncated turn
    outs.push_back(tool_error(job.parse.error_kind.c_str(), job.parse.error));
    results.push_back({"", model_text(outs.back(), cfg_.max_output_chars, cfg_.reserved_texts)});
  }
  for (size_t i = 0; i < job.calls.size(); ++i) {
    outs.push_back(run_call(job.calls[i], job.calls_before + static_cast<int64_t>(i)));
    results.push_back(
        {job.calls[i].name, model_text(outs.back(), cfg_.max_output_chars, cfg_.reserved_texts)});
  }
  Done d;
  d.ticket = job.ticket;
  d.calls = static_cast<int64_t>(outs.size());
  absl::StatusOr<std::string> glue = tool_glue_text(*tmpl_, turn_ends_, job.calls, results, opt_);
  std::lock_guard<std::mutex> l(mu_);
  if (deadlines_.erase(job.ticket) == 0) {  // answered with a timeout already
    d.ticket = -1;
    return d;
  }
  for (const ToolOutput& o : outs) {
    count(o);
    if (!o.ok) d.errors.push_back(o.error_kind);
  }
  ++stats_.turns;
  if (glue.ok()) {
    d.ok = true;
    d.glue = *std::move(glue);
  } else {
    ++stats_.glue_failures;
  }
  return d;
}

void ToolSession::count(const ToolOutput& o) {
  ++stats_.calls;
  if (o.ok)
    ++stats_.ok;
  else
    ++stats_.errors[o.error_kind];
}

void ToolSession::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      work_cv_.wait(l, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      // Answered with a timeout while it queued: its tools do not run at all.
      auto d = deadlines_.find(job.ticket);
      if (d == deadlines_.end() || d->second <= Clock::now()) continue;
    }
    Done d = answer(job);
    if (d.ticket < 0) continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      done_.push_back(std::move(d));
    }
    done_cv_.notify_all();
  }
}

std::vector<ToolResume> ToolSession::poll() {
  std::vector<Done> ready;
  std::vector<int64_t> late;
  {
    std::lock_guard<std::mutex> l(mu_);
    ready.swap(done_);
    const Clock::time_point now = Clock::now();
    for (auto it = deadlines_.begin(); it != deadlines_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      late.push_back(it->first);
      count(tool_error(kToolErrorTimeout, ""));
      ++stats_.turns;
      it = deadlines_.erase(it);  // the worker's later answer is dropped
    }
  }
  for (int64_t ticket : late) {  // rare: rendered here rather than wait for a worker
    const ToolOutput o = tool_error(
        kToolErrorTimeout,
        absl::StrCat("the tool call took longer than ", cfg_.call_timeout_s, " s and was stopped"));
    absl::StatusOr<std::string> glue = tool_glue_text(
        *tmpl_, turn_ends_, {}, {{"", model_text(o, cfg_.max_output_chars, cfg_.reserved_texts)}}, opt_);
    ready.push_back(Done{ticket, glue.ok() ? *glue : "", glue.ok(), 1, {kToolErrorTimeout}});
  }
  std::vector<ToolResume> out;
  for (const Done& d : ready) {
    ToolResume r{d.ticket, {}, d.calls, d.errors};
    if (d.ok) {
      absl::StatusOr<std::vector<int32_t>> ids = encode_(d.glue);
      if (ids.ok()) r.tokens = *std::move(ids);
    }
    out.push_back(std::move(r));
  }
  return out;
}

void ToolSession::wait(int ms) {
  std::unique_lock<std::mutex> l(mu_);
  done_cv_.wait_for(l, std::chrono::milliseconds(ms), [this] { return !done_.empty(); });
}

ToolStats ToolSession::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

ChatOptions chat_options_with(const GenerationConfig& g,
                              const std::vector<std::shared_ptr<const Tool>>& tools) {
  ChatOptions opt;
  if (!g.thinking) opt.enable_thinking = false;
  if (g.tools.on()) opt.tools = tools_schemas(tools);
  return opt;
}

absl::StatusOr<ChatOptions> chat_options_for(const GenerationConfig& g) {
  if (!g.tools.on()) return chat_options_with(g, {});
  absl::StatusOr<std::vector<std::shared_ptr<const Tool>>> tools = tools_make(g.tools);
  if (!tools.ok()) return tools.status();
  return chat_options_with(g, *tools);
}

absl::StatusOr<std::unique_ptr<ToolSession>> tool_session_make(const GenerationConfig& g,
                                                               const DecodeSettings& s, TextCodec* codec) {
  if (!g.tools.on()) return std::unique_ptr<ToolSession>();
  absl::StatusOr<std::vector<std::shared_ptr<const Tool>>> tools = tools_make(g.tools);
  if (!tools.ok()) return tools.status();
  absl::StatusOr<const ChatTemplate*> tmpl = codec->chat_template();
  if (!tmpl.ok()) return tmpl.status();
  ToolSessionConfig cfg;
  absl::StatusOr<ToolCallFormat> format = g.tools.format == "auto" ? tool_call_format_detect((*tmpl)->jinja())
                                                                   : tool_call_format_parse(g.tools.format);
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tools.format: ", format.status().message(), "; give hermes or llama3_json"));
  }
  cfg.format = *format;
  cfg.max_calls = g.tools.max_calls;
  cfg.call_timeout_s = g.tools.call_timeout_s;
  cfg.max_output_chars = g.tools.max_output_chars;
  cfg.threads = static_cast<int>(g.tools.threads);
  if (codec->is_hf()) cfg.reserved_texts = codec->hf()->added_token_texts();
  ChatOptions opt = chat_options_with(g, *tools);  // the tools made above, not a second set
  std::vector<std::string> ends;
  for (int32_t id : s.stop_ids) ends.push_back(codec->decode({id}));
  return std::make_unique<ToolSession>(
      cfg, *std::move(tools), *tmpl, std::move(opt), std::move(ends),
      [codec](const std::vector<int32_t>& ids) { return codec->decode(ids); },
      [codec](const std::string& t) { return codec->encode(t); });
}

}  // namespace ascent
