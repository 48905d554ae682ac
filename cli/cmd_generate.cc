// `ascent generate`: offline sampling on the actor's engine (generation/continuous_batcher.h): one prompt's
// completions printed, or a JSONL file of prompts through continuous batching with JSONL out.
#include <chrono>
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "core/jsonl_input.h"
#include "core/threads.h"
#include "generation/continuous_batcher.h"
#include "model/tokenizer/text_codec.h"

namespace ascent {

void cli_add_generate(CLI::App& app) {
  struct Opts {
    std::string model, prompt, system, input, output;
    bool chat = false, no_thinking = false;
    int64_t batch = 1, max_tokens = 64, top_k = 0, slots = 0;
    float temperature = 1.0f, top_p = 1.0f;
    uint64_t seed = 0;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("generate", "Sample completions with the actor's continuous-batching engine");
  cmd->add_option("--model", o->model, "Hugging Face model directory")->required();
  auto* prompt = cmd->add_option("--prompt", o->prompt,
                                 "prompt text (the model directory's tokenizer.json, else byte-level)");
  auto* input = cmd->add_option("--input", o->input, "JSONL of {\"prompt\", optional \"id\"}: every prompt");
  prompt->excludes(input);
  cmd->add_option(
      "--output", o->output,
      "JSONL out: {id, prompt, index, completion, ids, finish_reason} per completion (default with "
      "--input: stdout; with --prompt: text)");
  cmd->add_flag("--chat", o->chat, "send the prompt as a user message through the model's chat template");
  cmd->add_option("--system", o->system, "with --chat: a system message");
  cmd->add_flag("--no-thinking", o->no_thinking,
                "with --chat (Qwen3): an empty <think></think> in the prompt");
  cmd->add_option("--batch", o->batch, "completions per prompt")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "tokens per completion")->capture_default_str();
  cmd->add_option("--slots", o->slots, "sequences decoded at once (0: --batch, or 16 with --input)");
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "nucleus sampling")->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "0 = off")->capture_default_str();
  cmd->add_option("--seed", o->seed, "sampling seed (prompt i of --input uses seed + i)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->callback([o] {
    if (o->prompt.empty() && o->input.empty()) std::exit(cli_fail("generate", "give --prompt or --input"));
    threads_set_count(o->threads);
    auto m = model_load(o->model);
    if (!m.ok()) std::exit(cli_fail("generate", std::string(m.status().message())));
    auto codec = TextCodec::for_model_dir(o->model);
    if (!codec.ok()) std::exit(cli_fail("generate", std::string(codec.status().message())));
    auto encode = [&](const std::string& text) {
      std::vector<ChatMessage> msgs;
      if (!o->system.empty()) msgs.push_back({"system", o->system, std::nullopt});
      msgs.push_back({"user", text, std::nullopt});
      ChatOptions copt;
      if (o->no_thinking) copt.enable_thinking = false;
      return o->chat ? (*codec)->encode_chat(msgs, copt) : (*codec)->encode(text);
    };
    // The requests: one, or one per input line.
    std::vector<GenRequest> reqs;
    std::vector<std::string> ids, texts;
    auto add = [&](const std::string& text, const std::string& id) -> absl::Status {
      auto p = encode(text);
      if (!p.ok()) return p.status();
      GenRequest r;
      r.id = static_cast<int64_t>(reqs.size());
      r.prompt = *p;
      r.n = o->batch;
      r.max_tokens = o->max_tokens;
      r.sampler = {o->temperature, o->top_k, o->top_p};
      r.seed = o->seed + static_cast<uint64_t>(reqs.size());
      for (int64_t e : m->cfg.eos_token_ids) r.stop_ids.push_back(static_cast<int32_t>(e));
      reqs.push_back(std::move(r));
      ids.push_back(id), texts.push_back(text);
      return absl::OkStatus();
    };
    absl::Status st;
    if (!o->input.empty()) {
      st = jsonl_for_each(o->input, [&](const nlohmann::json& j, const std::string& where) -> absl::Status {
        if (!j.contains("prompt") || !j["prompt"].is_string())
          return absl::InvalidArgumentError(where + "\"prompt\" (a string) is required");
        std::string id = j.contains("id")
                             ? (j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump())
                             : std::to_string(reqs.size());
        absl::Status a = add(j["prompt"].get<std::string>(), id);
        return a.ok() ? a : absl::InvalidArgumentError(where + std::string(a.message()));
      });
    } else {
      st = add(o->prompt, "0");
    }
    if (!st.ok()) std::exit(cli_fail("generate", std::string(st.message())));
    int64_t longest = 0;
    for (const GenRequest& r : reqs)
      longest = std::max<int64_t>(longest, static_cast<int64_t>(r.prompt.size()));
    const int64_t slots =
        o->slots > 0 ? o->slots : (o->input.empty() ? o->batch : std::max<int64_t>(16, o->batch));
    ContinuousBatcher cb(*m, slots, longest + o->max_tokens);
    for (GenRequest& r : reqs) {
      if (absl::Status s = cb.submit(r); !s.ok()) std::exit(cli_fail("generate", std::string(s.message())));
    }
    std::map<std::pair<int64_t, int64_t>, GenSequence> done;
    int64_t fed = 0, sampled = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (!cb.idle()) {
      auto fin = cb.step();
      if (!fin.ok()) std::exit(cli_fail("generate", std::string(fin.status().message())));
      fed += cb.last_step_tokens();
      for (GenSequence& s : *fin) {
        sampled += static_cast<int64_t>(s.tokens.size());
        done[{s.request_id, s.index}] = std::move(s);
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::FILE* out = stdout;
    if (!o->output.empty() && !(out = std::fopen(o->output.c_str(), "w")))
      std::exit(cli_fail("generate", o->output + ": cannot open for writing"));
    for (const auto& [key, s] : done) {
      if (o->output.empty() && o->input.empty()) {
        std::fprintf(out, "[%ld] %s%s\n", static_cast<long>(key.second), (*codec)->decode(s.prompt).c_str(),
                     (*codec)->decode(s.tokens).c_str());
      } else {
        nlohmann::json j = {{"id", ids[key.first]}, {"prompt", texts[key.first]},
                            {"index", key.second},  {"completion", (*codec)->decode(s.tokens)},
                            {"ids", s.tokens},      {"finish_reason", s.finish_reason}};
        std::fprintf(out, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      }
    }
    if (out != stdout) std::fclose(out);
    std::fprintf(o->input.empty() && o->output.empty() ? stdout : stderr,
                 "%zu prompts x %ld completions: %ld tokens sampled, %ld fed in %.3f s = %.1f tokens/s (%ld "
                 "slots, %d threads)\n",
                 reqs.size(), static_cast<long>(o->batch), static_cast<long>(sampled), static_cast<long>(fed),
                 secs, secs > 0 ? sampled / secs : 0.0, static_cast<long>(slots), threads_get_count());
  });
}

}  // namespace ascent
