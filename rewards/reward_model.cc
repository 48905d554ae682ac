#include "rewards/reward_model.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "model/model.h"
#include "model/tokenizer/text_codec.h"
#include "model/transformer.h"

namespace ascent {

struct RewardModel::Impl {
  Model model;
  std::unique_ptr<TextCodec> codec;
  int64_t batch_tokens = 16384;
};

RewardModel::RewardModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RewardModel::~RewardModel() = default;

absl::StatusOr<std::unique_ptr<RewardModel>> RewardModel::load(const std::string& dir, int64_t batch_tokens) {
  if (std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json")) {
    return absl::UnimplementedError(absl::StrCat(
        dir,
        ": this reward model ships tokenizer.json; Hugging Face tokenizers are not built yet (issue 8), and "
        "scoring it with the byte tokenizer would give meaningless rewards"));
  }
  absl::StatusOr<Model> m = model_load(dir);
  if (!m.ok()) return m.status();
  if (m->cfg.num_labels <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/config.json: architectures: not a *ForSequenceClassification reward model"));
  }
  if (m->cfg.num_labels != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, "/config.json: id2label: a reward model has one label, this has ", m->cfg.num_labels));
  }
  absl::StatusOr<std::unique_ptr<TextCodec>> codec = TextCodec::for_model_dir(dir);
  if (!codec.ok()) return codec.status();
  if (!(*codec)->is_hf() && m->cfg.vocab_size < 259) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/config.json: vocab_size ", m->cfg.vocab_size,
                                                   " is below the byte tokenizer's 259"));
  }
  auto impl = std::make_unique<Impl>();
  impl->model = std::move(*m);
  impl->batch_tokens = batch_tokens;
  impl->codec = std::move(*codec);
  return std::unique_ptr<RewardModel>(new RewardModel(std::move(impl)));
}

std::vector<ComponentResult> RewardModel::score_ids(const std::vector<std::vector<int32_t>>& seqs) {
  std::vector<ComponentResult> out(seqs.size());
  Model& m = impl_->model;
  PackedBatch batch;
  std::vector<size_t> members;
  auto flush = [&] {
    if (members.empty()) return;
    std::vector<float> scores;
    absl::Status st = model_forward_sequence_scores(m, batch, &scores);
    for (size_t k = 0; k < members.size(); ++k) {
      if (!st.ok()) {
        out[members[k]] = {false, 0, absl::StrCat("reward model: ", st.message())};
      } else if (!std::isfinite(scores[k])) {
        out[members[k]] = {false, 0, "reward model returned a non-finite score"};
      } else {
        out[members[k]] = {true, scores[k], "score"};
      }
    }
    batch = PackedBatch{};
    members.clear();
  };
  for (size_t i = 0; i < seqs.size(); ++i) {
    const int64_t n = static_cast<int64_t>(seqs[i].size());
    if (n == 0 || n > m.cfg.max_position_embeddings) {
      out[i] = {false, 0,
                absl::StrCat("sequence of ", n, " tokens (the model takes 1..", m.cfg.max_position_embeddings,
                             ")")};
      continue;
    }
    if (!members.empty() && static_cast<int64_t>(batch.tokens.size()) + n > impl_->batch_tokens) flush();
    batch_add_sequence(batch, seqs[i]);
    members.push_back(i);
  }
  flush();
  return out;
}

std::vector<ComponentResult> RewardModel::score(const std::vector<RewardInput>& items) {
  std::vector<std::vector<int32_t>> seqs;
  seqs.reserve(items.size());
  std::vector<size_t> bad;
  for (const RewardInput& in : items) {
    absl::StatusOr<std::vector<int32_t>> ids = impl_->codec->encode(in.prompt + in.completion);
    if (!ids.ok()) bad.push_back(seqs.size());
    seqs.push_back(ids.ok() ? std::move(*ids) : std::vector<int32_t>{});
  }
  std::vector<ComponentResult> out = score_ids(seqs);
  for (size_t i : bad) out[i] = {false, 0, "text is not valid UTF-8"};
  return out;
}

}  // namespace ascent
