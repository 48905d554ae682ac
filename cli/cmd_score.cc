#include <sys/resource.h>

#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "core/jsonl_input.h"
#include "core/threads.h"
#include "model/score.h"
#include "model/tokenizer/text_codec.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {
// Reads {"ids": [...]} or {"text": "..."} lines; errors name file:line.
absl::StatusOr<std::vector<std::vector<int32_t>>> read_score_input(const std::string& path, int64_t vocab,
                                                                   TextCodec& codec) {
  std::vector<std::vector<int32_t>> seqs;
  absl::Status st =
      jsonl_for_each(path, [&](const nlohmann::json& j, const std::string& where) -> absl::Status {
        std::vector<int32_t> ids;
        if (j.contains("ids")) {
          if (!j["ids"].is_array())
            return absl::InvalidArgumentError(where + "'ids' must be a list of integers");
          for (const auto& x : j["ids"]) {
            if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() >= vocab) {
              return absl::InvalidArgumentError(where + "'ids' holds " + x.dump() +
                                                ", not a token id in [0, " + std::to_string(vocab) + ")");
            }
            ids.push_back(x.get<int32_t>());
          }
        } else if (j.contains("messages") && j["messages"].is_array()) {
          std::vector<ChatMessage> msgs;
          for (const auto& m : j["messages"]) {
            if (!m.is_object() || !m.contains("role") || !m.contains("content") || !m["role"].is_string() ||
                !m["content"].is_string()) {
              return absl::InvalidArgumentError(where +
                                                "each message needs \"role\" and \"content\" strings");
            }
            msgs.push_back({m["role"].get<std::string>(), m["content"].get<std::string>(), std::nullopt});
          }
          ChatOptions copt;
          copt.add_generation_prompt = false;
          absl::StatusOr<std::vector<int32_t>> enc = codec.encode_chat(msgs, copt);
          if (!enc.ok()) return absl::InvalidArgumentError(where + std::string(enc.status().message()));
          ids = std::move(*enc);
        } else if (j.contains("text") && j["text"].is_string()) {
          absl::StatusOr<std::vector<int32_t>> enc = codec.encode(j["text"].get<std::string>());
          if (!enc.ok()) return absl::InvalidArgumentError(where + std::string(enc.status().message()));
          ids = std::move(*enc);
        } else {
          return absl::InvalidArgumentError(
              where + "needs \"ids\" (list of integers), \"text\" (string) or \"messages\" (chat)");
        }
        if (ids.empty()) return absl::InvalidArgumentError(where + "empty sequence");
        seqs.push_back(std::move(ids));
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  return seqs;
}
}  // namespace

void cli_add_score(CLI::App& app) {
  struct Opts {
    std::string model, input, output, device = "cpu";
    int64_t batch_tokens = 16384, chunk_mb = 64;
    float temperature = 1.0f;
    bool entropy = false, report_memory = false;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("score", "Per-token log-probs of sequences (JSONL in, JSONL out)");
  cmd->add_option("--model", o->model, "Hugging Face model directory")->required();
  cmd->add_option("--input", o->input, "JSONL with {\"ids\": [...]} or {\"text\": ...} per line")->required();
  cmd->add_option("--output", o->output, "output JSONL (default: stdout)");
  cmd->add_option("--batch-tokens", o->batch_tokens, "tokens per packed batch")->capture_default_str();
  cmd->add_option("--chunk-mb", o->chunk_mb, "LM-head logits chunk size in MB")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "score under logits / temperature")->capture_default_str();
  cmd->add_flag("--entropy", o->entropy, "also write per-token entropies");
  cmd->add_flag("--report-memory", o->report_memory, "print peak resident memory to stderr at the end");
  cmd->add_option("--threads", o->threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu | cuda | cuda:N: where the model runs")->capture_default_str();
  cmd->callback([o] {
    threads_set_count(o->threads);
    auto m = model_load(o->model);
    if (!m.ok()) std::exit(cli_fail("score", std::string(m.status().message())));
    auto device = device_parse(o->device);
    auto backend = device.ok() ? backend_for(*device) : absl::StatusOr<Backend*>(device.status());
    if (!backend.ok()) std::exit(cli_fail("score", "--device: " + std::string(backend.status().message())));
    model_to_backend(*m, **backend);
    auto codec = TextCodec::for_model_dir(o->model);
    if (!codec.ok()) std::exit(cli_fail("score", std::string(codec.status().message())));
    auto seqs = read_score_input(o->input, m->cfg.vocab_size, **codec);
    if (!seqs.ok()) std::exit(cli_fail("score", std::string(seqs.status().message())));
    LmHeadOptions opt;
    opt.temperature = o->temperature;
    opt.chunk_bytes = o->chunk_mb << 20;
    auto scored = score_sequences(*m, *seqs, o->batch_tokens, opt, o->entropy);
    if (!scored.ok()) std::exit(cli_fail("score", std::string(scored.status().message())));
    std::ofstream file;
    if (!o->output.empty()) {
      file.open(o->output);
      if (!file) std::exit(cli_fail("score", o->output + ": cannot open for writing"));
    }
    std::ostream& out = o->output.empty() ? std::cout : file;
    for (const auto& s : *scored) {
      double sum = 0.0;
      for (float x : s.logprobs) sum += x;
      nlohmann::json j = {{"logprobs", s.logprobs}, {"sum", sum}};
      if (o->entropy) j["entropy"] = s.entropy;
      out << j.dump() << "\n";
    }
    if (o->report_memory) {
      struct rusage ru;
      getrusage(RUSAGE_SELF, &ru);
      std::fprintf(stderr, "peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    }
  });
}

}  // namespace ascent
