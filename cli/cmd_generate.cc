#include <cstdio>

#include "cli/commands.h"
#include "core/threads.h"
#include "model/generate.h"
#include "model/tokenizer/text_codec.h"

void cli_add_generate(CLI::App& app) {
  struct Opts {
    std::string model, prompt, system;
    bool chat = false, no_thinking = false;
    int64_t batch = 1, max_tokens = 64, top_k = 0;
    float temperature = 1.0f, top_p = 1.0f;
    uint64_t seed = 0;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("generate", "Sample completions of a prompt with a KV cache");
  cmd->add_option("--model", o->model, "Hugging Face model directory")->required();
  cmd->add_option("--prompt", o->prompt,
                  "prompt text (the model directory's tokenizer.json, else byte-level)")
      ->required();
  cmd->add_flag("--chat", o->chat, "send the prompt as a user message through the model's chat template");
  cmd->add_option("--system", o->system, "with --chat: a system message");
  cmd->add_flag("--no-thinking", o->no_thinking,
                "with --chat (Qwen3): an empty <think></think> in the prompt");
  cmd->add_option("--batch", o->batch, "completions to sample")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "tokens per completion")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "nucleus sampling")->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "0 = off")->capture_default_str();
  cmd->add_option("--seed", o->seed, "sampling seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->callback([o] {
    threads_set_count(o->threads);
    auto m = model_load(o->model);
    if (!m.ok()) std::exit(cli_fail("generate", std::string(m.status().message())));
    auto codec = TextCodec::for_model_dir(o->model);
    if (!codec.ok()) std::exit(cli_fail("generate", std::string(codec.status().message())));
    std::vector<ChatMessage> msgs;
    if (!o->system.empty()) msgs.push_back({"system", o->system, std::nullopt});
    msgs.push_back({"user", o->prompt, std::nullopt});
    ChatOptions copt;
    if (o->no_thinking) copt.enable_thinking = false;
    auto prompt = o->chat ? (*codec)->encode_chat(msgs, copt) : (*codec)->encode(o->prompt);
    if (!prompt.ok()) std::exit(cli_fail("generate", std::string(prompt.status().message())));
    GenerateRequest req;
    req.prompt = *prompt;
    req.batch = o->batch;
    req.max_tokens = o->max_tokens;
    req.sampler = {o->temperature, o->top_k, o->top_p};
    req.seed = o->seed;
    for (int64_t id : m->cfg.eos_token_ids) req.stop_ids.push_back(static_cast<int32_t>(id));
    auto r = generate_batch(*m, req);
    if (!r.ok()) std::exit(cli_fail("generate", std::string(r.status().message())));
    for (size_t b = 0; b < r->tokens.size(); ++b) {
      std::printf("[%zu] %s%s\n", b, (*codec)->decode(req.prompt).c_str(),
                  (*codec)->decode(r->tokens[b]).c_str());
    }
    std::printf(
        "prefill %zu tokens in %.3f s; decode %ld tokens in %.3f s = %.1f tokens/s (batch %ld, %d threads)\n",
        req.prompt.size(), r->prefill_seconds, static_cast<long>(r->decode_tokens), r->decode_seconds,
        r->decode_seconds > 0 ? r->decode_tokens / r->decode_seconds : 0.0, static_cast<long>(o->batch),
        threads_get_count());
  });
}
