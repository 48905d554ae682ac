#include "learner/validation.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "rewards/math_verify.h"

namespace ascent {

absl::StatusOr<ValidationResult> validation_run(Model& m, const std::vector<PromptRecord>& prompts,
                                                const DecodeSettings& cfg, const PromptText& text, int64_t k,
                                                uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ValidationResult out;
  ContinuousBatcher cb(m, std::max(cfg.slots, k), cfg.max_len, text.token_bytes);
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ids = text.encode(prompts[i].text);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("validation prompt ", prompts[i].id, ": ", ids.status().message()));
    }
    GenRequest r = decode_settings_request(cfg, static_cast<int64_t>(i), std::move(*ids), k, seed + i);
    if (absl::Status st = cb.submit(std::move(r)); !st.ok()) return st;
  }
  std::vector<int64_t> correct(prompts.size(), 0);
  while (!cb.idle()) {
    auto fin = cb.step();
    if (!fin.ok()) return fin.status();
    for (const GenSequence& s : *fin) {
      const size_t i = static_cast<size_t>(s.request_id);
      correct[i] += math_verify(text.decode(s.tokens), prompts[i].answer).correct;
      out.tokens += static_cast<int64_t>(s.tokens.size());
      ++out.samples;
    }
  }
  double sum = 0;
  for (int64_t c : correct) sum += static_cast<double>(c) / static_cast<double>(k);
  out.prompts = static_cast<int64_t>(prompts.size());
  out.pass_rate = prompts.empty() ? 0 : sum / static_cast<double>(prompts.size());
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace ascent
