// Shared-prefix packing vs whole sequences: one learner micro-batch (forward with the FP32 LM head, then
// backward) of G completions of one prompt, on a SmolLM2-135M-shaped model (30 layers, hidden 576, 9/3
// heads, vocab 49,152; random weights: the arithmetic does not depend on them). The baseline packs each
// completion after its own copy of the prompt (what the learner did before, and what packed-sequence
// trainers do); shared packing (learner/policy_batch.h) runs the prompt once per group. The gain is about
// (G (P + L)) / (P + G (L + 1)) in tokens; the printed ratio is what the engine makes of it.
//   build/bench/bench_shared_prefix [--prompt 32] [--completion 12] [--group 16] [--reps 3]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "core/memory.h"
#include "core/rng.h"
#include "core/threads.h"
#include "learner/policy_batch.h"
#include "model/model.h"
#include "model/transformer.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ModelConfig smollm2_135m() {
  ModelConfig c;
  c.arch = ModelArch::kLlama;
  c.vocab_size = 49152, c.hidden_size = 576, c.intermediate_size = 1536, c.num_layers = 30;
  c.num_heads = 9, c.num_kv_heads = 3, c.head_dim = 64;
  c.rope.theta = 100000.0;
  c.tie_word_embeddings = true;
  c.initializer_range = 0.02;
  return c;
}

// Best of `reps` forward + backward seconds.
double step_seconds(Model& m, const PolicyBatch& pb, int reps) {
  ForwardState st;
  const LmHeadOptions opt;
  std::vector<float> w(pb.rows.size(), 1e-3f);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    model_grads_zero(m);
    const double t0 = now();
    auto lp = model_forward_logprobs(m, pb.batch, &st, opt);
    if (!lp.ok()) std::fprintf(stderr, "%s\n", lp.status().ToString().c_str()), std::exit(1);
    model_backward_logprobs(m, pb.batch, st, policy_batch_scatter(pb, w), opt);
    best = std::min(best, now() - t0);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Shared-prefix packing vs whole sequences: one micro-batch's forward + backward"};
  int prompt = 32, completion = 12, group = 16, reps = 3;
  app.add_option("--prompt", prompt, "prompt tokens")->check(CLI::Range(2, 8192));
  app.add_option("--completion", completion, "tokens per completion")->check(CLI::Range(1, 8192));
  app.add_option("--group", group, "completions of the prompt")->check(CLI::Range(2, 256));
  app.add_option("--reps", reps, "repetitions (best is reported)")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  memory_keep_freed_pages();
  threads_set_count(0);
  auto m = model_create(smollm2_135m(), DType::kF32);
  model_init_random(*m, 1);
  model_grads_enable(*m);
  Rng rng(2);
  RolloutBatch rb;
  PromptGroup g;
  for (int i = 0; i < prompt; ++i) g.prompt_tokens.push_back(static_cast<int32_t>(rng.next_u64() % 49152));
  for (int c = 0; c < group; ++c) {
    Rollout r;
    for (int i = 0; i < completion; ++i) r.tokens.push_back(static_cast<int32_t>(rng.next_u64() % 49152));
    g.completions.push_back(r);
  }
  rb.groups.push_back(g);
  const PolicyBatch whole = policy_batch_build(rb, /*share_prompts=*/false), shared = policy_batch_build(rb);
  const double t_whole = step_seconds(*m, whole, reps), t_shared = step_seconds(*m, shared, reps);
  std::printf("group of %d completions x %d tokens after a %d-token prompt, %d threads, best of %d\n", group,
              completion, prompt, threads_get_count(), reps);
  std::printf("%-44s %8zu tokens %9.3f s\n", "whole sequences (baseline)", whole.batch.tokens.size(),
              t_whole);
  std::printf("%-44s %8zu tokens %9.3f s\n", "shared prefix", shared.batch.tokens.size(), t_shared);
  std::printf("speedup (baseline / shared): %.2fx\n", t_whole / t_shared);
  return 0;
}
