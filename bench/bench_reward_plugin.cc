// The cost of running a reward plugin out of process: one batch of 768 completions scored by the example
// plugin (examples/reward_plugin) through PluginReward (worker process, one frame per item) against the same
// plugin loaded in this process and called directly (the baseline: what an in-process design would cost).
// Usage: bench_reward_plugin PLUGIN.so [--batch 768] [--repeat 20]
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "ascent/reward_plugin.h"
#include "rewards/plugin_host.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  std::string plugin;
  int batch = 768, repeat = 20;
  CLI::App app{"bench_reward_plugin"};
  app.add_option("plugin", plugin)->required();
  app.add_option("--batch", batch);
  app.add_option("--repeat", repeat);
  CLI11_PARSE(app, argc, argv);

  // Completions of a realistic size: 2,000 characters each (about 500 tokens), half with \boxed{}.
  std::vector<RewardInput> items(batch);
  for (int i = 0; i < batch; ++i) {
    items[i].prompt = "Compute the sum of the first " + std::to_string(i) + " odd numbers.";
    items[i].completion =
        std::string(2000, 'x') + (i % 2 ? " so \\boxed{" + std::to_string(i * i) + "}" : "");
    items[i].answer = std::to_string(i * i);
  }

  // Baseline: in process.
  void* lib = dlopen(plugin.c_str(), RTLD_NOW);
  if (!lib) {
    std::fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  auto get = reinterpret_cast<ascent_reward_plugin_get_fn>(dlsym(lib, ASCENT_REWARD_PLUGIN_ENTRY));
  const ascent_reward_plugin* p = get();
  char err[256];
  void* state = p->create("{}", err, sizeof err);
  std::vector<double> in_proc, out_proc;
  std::vector<double> rewards(batch);
  std::vector<int> ok(batch);
  std::vector<char> reasons(static_cast<size_t>(batch) * 256);
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch; ++i) {  // one call per item, as the worker does
      ascent_reward_item it{items[i].prompt.c_str(), items[i].completion.c_str(), items[i].answer.c_str(),
                            "{}"};
      p->score(state, &it, 1, &rewards[i], &ok[i], reasons.data() + i * 256, 256);
    }
    in_proc.push_back(ms_since(t0));
  }
  p->destroy(state);

  PluginOptions o;
  o.path = plugin;
  PluginReward host(o);
  const auto t_start = std::chrono::steady_clock::now();
  host.score({items[0]});  // starts the worker
  const double start_ms = ms_since(t_start);
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<ComponentResult> res = host.score(items);
    out_proc.push_back(ms_since(t0));
    if (res.size() != items.size() || !res[1].ok || res[1].value != rewards[1]) {
      std::fprintf(stderr, "out-of-process result differs from in-process\n");
      return 1;
    }
  }
  std::sort(in_proc.begin(), in_proc.end());
  std::sort(out_proc.begin(), out_proc.end());
  const double a = in_proc[in_proc.size() / 2], b = out_proc[out_proc.size() / 2];
  std::printf("batch of %d completions (2 kB each), median of %d:\n", batch, repeat);
  std::printf("  in process (baseline, dlopen + direct calls): %8.3f ms\n", a);
  std::printf("  out of process (ascent-reward-worker):        %8.3f ms  (%.1f us per completion)\n", b,
              1000 * b / batch);
  std::printf("  overhead per batch: %.3f ms (ratio %.1fx); worker start: %.1f ms once\n", b - a, b / a,
              start_ms);
  return 0;
}
