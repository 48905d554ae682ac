#include "learner/validation.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "model/kv_cache.h"
#include "rewards/math_verify.h"

namespace ascent {

absl::Status validation_check_fits(const ModelConfig& m, const DecodeSettings& cfg, int64_t k) {
  return kv_cache_check_fits(m, std::max(cfg.slots, k), cfg.max_len,
                             "run.validation.samples (or generation.slots) x positions");
}

absl::StatusOr<ValidationResult> validation_run(Model& m, const std::vector<PromptRecord>& prompts,
                                                const DecodeSettings& cfg, const PromptText& text, int64_t k,
                                                uint64_t seed, const SampleJudge& judge,
                                                const std::atomic<bool>* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  ValidationResult out;
  ASCENT_RETURN_IF_ERROR(validation_check_fits(m.cfg, cfg, k));
  ContinuousBatcher cb(m, std::max(cfg.slots, k), cfg.max_len, text.token_bytes);
  absl::StatusOr<std::unique_ptr<ToolHook>> tools = tool_hook_make(text, cfg);  // as the actors generate
  if (!tools.ok()) return tools.status();
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ids = text.encode(prompts[i].text);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("validation prompt ", prompts[i].id, ": ", ids.status().message()));
    }
    GenRequest r = decode_settings_request(cfg, static_cast<int64_t>(i), std::move(*ids), k, seed + i);
    r.tools.hook = tools->get();
    if (absl::Status st = cb.submit(std::move(r)); !st.ok()) return st;
  }
  std::vector<RewardInput> samples;
  std::vector<size_t> prompt_of;
  while (!cb.idle()) {
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("validation cancelled");
    auto fin = cb.step();
    if (!fin.ok()) return fin.status();
    for (const GenSequence& s : *fin) {
      const PromptRecord& p = prompts[static_cast<size_t>(s.request_id)];
      samples.push_back({p.text, text.decode(s.tokens), p.answer, p.metadata_json});
      prompt_of.push_back(static_cast<size_t>(s.request_id));
      out.tokens += static_cast<int64_t>(s.tokens.size());
    }
  }
  out.samples = static_cast<int64_t>(samples.size());
  std::vector<ComponentResult> verdicts;
  if (judge) {
    verdicts = judge(samples);
    if (verdicts.size() != samples.size()) {
      return absl::InternalError(absl::StrCat("validation scorer returned ", verdicts.size(), " results for ",
                                              samples.size(), " samples"));
    }
  } else {
    for (const RewardInput& s : samples)
      verdicts.push_back({true, math_verify(s.completion, s.answer).correct ? 1.0 : 0.0, ""});
  }
  std::vector<int64_t> correct(prompts.size(), 0);
  for (size_t j = 0; j < samples.size(); ++j) {
    if (!verdicts[j].ok && out.unscored++ == 0) out.first_error = verdicts[j].reason;
    correct[prompt_of[j]] += verdicts[j].ok && verdicts[j].value >= 1.0;
  }
  double sum = 0;
  for (int64_t c : correct) sum += static_cast<double>(c) / static_cast<double>(k);
  out.prompts = static_cast<int64_t>(prompts.size());
  out.pass_rate = prompts.empty() ? 0 : sum / static_cast<double>(prompts.size());
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace ascent
