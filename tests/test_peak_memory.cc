// Peak memory of a log-prob pass over 8 x 2,048 tokens with a 151,936-token vocabulary (Qwen's): the full
// [16,384 x 151,936] float32 logits would take 9.96 GB; the chunked float32 LM head needs one chunk of logits
// (64 MB by default) plus the activations. Measured as the rise of the kernel's peak-RSS counter (VmHWM),
// reset after the model is built. Its own test binary, so no other test's allocations count.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "model/score.h"
#include "tests/model_fixtures.h"

namespace ascent {

namespace {

int64_t status_kb(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return -1;
}

TEST(PeakMemory, ChunkedLogprobPassOverQwenVocabulary) {
  ModelConfig c;
  c.arch = ModelArch::kQwen2;
  c.vocab_size = 151936, c.hidden_size = 64, c.intermediate_size = 128, c.num_layers = 2;
  c.num_heads = 4, c.num_kv_heads = 2, c.head_dim = 16;
  c.tie_word_embeddings = true, c.qkv_bias = true;
  auto m = model_create(c, DType::kF32);
  ASSERT_TRUE(m.ok());
  model_init_random(*m, 1);
  Rng rng(2);
  std::vector<std::vector<int32_t>> seqs(8);
  for (auto& s : seqs) {
    for (int i = 0; i < 2048; ++i) s.push_back(static_cast<int32_t>(rng.next_u64() % c.vocab_size));
  }
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // reset VmHWM to the current RSS
  const int64_t base_kb = status_kb("VmRSS");
  LmHeadOptions opt;  // 64 MB chunks: 110 rows of 151,936 logits
  auto r = score_sequences(*m, seqs, 16384, opt, false);
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t peak_kb = status_kb("VmHWM");
  ASSERT_GT(base_kb, 0);
  ASSERT_GT(peak_kb, 0);
  const double rise_mb = (peak_kb - base_kb) / 1024.0;
  const double full_logits_mb = 16384.0 * 151936 * 4 / (1 << 20);
  // Budget: one 64 MB logits chunk, plus one layer's activations and the residual/hidden buffers for 16,384
  // tokens (about 20 floats per channel-row here: ~90 MB), plus allocator slack; 512 MB covers it with room.
  std::printf(
      "log-prob pass 8 x 2048 tokens, V = 151936: peak RSS rise %.0f MB (base %.0f MB); full logits "
      "would need %.0f MB\n",
      rise_mb, base_kb / 1024.0, full_logits_mb);
  EXPECT_LT(rise_mb, 512.0);
  EXPECT_EQ((*r)[0].logprobs.size(), 2047u);
  for (float x : (*r)[7].logprobs) ASSERT_TRUE(std::isfinite(x) && x <= 0.0f);
}

}  // namespace

}  // namespace ascent
