#include "generation/generation_config.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "core/yaml_reader.h"
#include "model/kv_cache.h"

namespace ascent {

namespace {
// Upper bounds of the recipe's sizes: far above any setting that runs, low enough that no product of them
// overflows and nothing is allocated from a typo (the KV cache is also checked against memory).
constexpr int64_t kMaxTokens = int64_t{1} << 20;
}  // namespace

absl::StatusOr<GenerationConfig> generation_config_parse(const YAML::Node& node, const std::string& file) {
  GenerationConfig g;
  YamlReader r(node, file, "generation");
  r.read("template", &g.tmpl);
  r.read("system", &g.system);
  r.read("thinking", &g.thinking);
  r.read("max_tokens", &g.max_tokens, 1, kMaxTokens);
  double t = g.sampler.temperature, p = g.sampler.top_p;
  r.read("temperature", &t, 0.0);
  r.read("top_p", &p, 0.0, 1.0, /*min_exclusive=*/true);
  g.sampler.temperature = static_cast<float>(t), g.sampler.top_p = static_cast<float>(p);
  r.read("top_k", &g.sampler.top_k, 0, int64_t{1} << 22);
  YAML::Node stop = r.read_raw("stop");
  if (stop && !stop.IsNull()) {
    if (!stop.IsSequence()) {
      r.fail("stop", "must be a list of strings");
    } else {
      for (const auto& s : stop) {
        if (!s.IsScalar() || s.as<std::string>().empty()) {
          r.fail("stop", "must be a list of non-empty strings");
          break;
        }
        g.stop.push_back(s.as<std::string>());
      }
    }
  }
  r.read("slots", &g.slots, 1, 4096);
  r.read("max_len", &g.max_len, 0, 2 * kMaxTokens);
  r.read("prompt_max_tokens", &g.prompt_max_tokens, 1, kMaxTokens);
  if (g.tmpl != "chat" && g.tmpl.find("{prompt}") == std::string::npos) {
    r.fail("template", "must contain {prompt} or be \"chat\"");
  }
  YamlReader& in = r.section("interruption");
  in.read("enabled", &g.interrupt);
  in.read("min_tokens", &g.interrupt_min, 0, kMaxTokens);
  in.read("max_tokens", &g.interrupt_max, 0, kMaxTokens);
  in.read("solution_tokens", &g.solution_tokens, 1, kMaxTokens);
  in.read("text", &g.interrupt_text);
  if (g.interrupt) {
    if (g.interrupt_min < 1 || g.interrupt_max < g.interrupt_min) {
      in.fail("max_tokens", "needs 1 <= interruption.min_tokens <= interruption.max_tokens");
    } else if (g.interrupt_max > g.max_tokens) {
      in.fail("max_tokens", "must be <= generation.max_tokens (the thinking phase's limit)");
    }
    if (g.interrupt_text.find("</think>") == std::string::npos) in.fail("text", "must contain </think>");
  }
  absl::Status st = r.finish();
  if (!st.ok()) return st;
  return g;
}

absl::StatusOr<DecodeSettings> decode_settings_make(const GenerationConfig& g, const Model& m,
                                                    TextCodec* codec) {
  DecodeSettings c;
  c.slots = g.slots;
  c.max_tokens = g.max_tokens;
  c.sampler = g.sampler;
  c.stop_strings = g.stop;
  for (int64_t id : m.cfg.eos_token_ids) c.stop_ids.push_back(static_cast<int32_t>(id));
  if (g.interrupt) {
    c.interrupt.enabled = true;
    c.interrupt.min_tokens = g.interrupt_min;
    c.interrupt.max_tokens = g.interrupt_max;
    c.interrupt.solution_tokens = g.solution_tokens;
    auto forced = codec->encode(g.interrupt_text);
    if (!forced.ok()) return forced.status();
    c.interrupt.forced = *forced;
    auto end = codec->encode("</think>");
    if (!end.ok() || end->size() != 1) {
      return absl::InvalidArgumentError(
          "generation.interruption: the model's tokenizer has no single </think> token");
    }
    c.interrupt.end_think_id = (*end)[0];
  }
  c.tools = g.tools;
  if (g.tools.on() && g.interrupt) {
    return absl::InvalidArgumentError("tools: multi-turn tool use excludes generation.interruption");
  }
  if (g.tools.on() && g.tools.max_total_tokens > 0 && g.tools.max_total_tokens < g.max_tokens) {
    return absl::InvalidArgumentError(absl::StrCat("tools.max_total_tokens (", g.tools.max_total_tokens,
                                                   ") must be 0 or >= generation.max_tokens (", g.max_tokens,
                                                   "), the first turn's budget"));
  }
  if (g.tools.on() && g.tmpl != "chat") {
    return absl::InvalidArgumentError(
        "tools: need generation.template: chat (the chat template lists the tools and renders their "
        "results)");
  }
  const int64_t completion =
      g.tools.on()
          ? g.tools.total_tokens(g.max_tokens)
          : g.max_tokens +
                (g.interrupt ? static_cast<int64_t>(c.interrupt.forced.size()) + g.solution_tokens : 0);
  c.max_len = g.max_len > 0 ? g.max_len : g.prompt_max_tokens + completion;
  if (c.max_len > m.cfg.max_position_embeddings && m.cfg.max_position_embeddings > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("generation: prompt_max_tokens + completion tokens = ", c.max_len,
                     " exceed the model's context ", m.cfg.max_position_embeddings));
  }
  ASCENT_RETURN_IF_ERROR(
      kv_cache_check_fits(m.cfg, c.slots, c.max_len, "generation.slots x (prompt_max_tokens + max_tokens)"));
  return c;
}

GenRequest decode_settings_request(const DecodeSettings& s, int64_t id, std::vector<int32_t> prompt,
                                   int64_t n, uint64_t seed) {
  GenRequest r;
  r.id = id;
  r.prompt = std::move(prompt);
  r.n = n;
  r.max_tokens = s.max_tokens;
  r.sampler = s.sampler;
  r.seed = seed;
  r.stop_ids = s.stop_ids;
  r.stop_strings = s.stop_strings;
  r.interrupt = s.interrupt;
  if (s.tools.on()) {
    r.tools.max_turns = s.tools.max_turns;
    r.tools.max_total_tokens = s.tools.total_tokens(s.max_tokens);
  }
  return r;
}

}  // namespace ascent
