// Runs the math verifier over a JSONL file of {"gold", "answer"} pairs: writes one {"correct", "reason"} line
// per pair to stdout and the throughput (answers/s, best of --repeat passes) to stderr.
// bench/verifier_vs_math_verify.py runs it beside Hugging Face's math-verify on the same pairs.
// Usage: bench_verifier PAIRS.jsonl [--repeat N]
#include <chrono>
#include <cstdio>
#include <fstream>

#include "CLI/CLI.hpp"
#include "nlohmann/json.hpp"
#include "rewards/math_verify.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

int main(int argc, char** argv) {
  std::string file;
  int repeat = 3;
  CLI::App app{"bench_verifier"};
  app.add_option("file", file)->required();
  app.add_option("--repeat", repeat);
  CLI11_PARSE(app, argc, argv);
  std::ifstream f(file);
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", file.c_str());
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string line;
  while (std::getline(f, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    pairs.emplace_back(j["gold"], j["answer"]);
  }
  std::vector<VerifyResult> out(pairs.size());
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < pairs.size(); ++i) out[i] = math_verify_answers(pairs[i].first, pairs[i].second);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  for (const VerifyResult& v : out)
    std::printf("%s\n", nlohmann::json{{"correct", v.correct}, {"reason", v.reason}}.dump().c_str());
  std::fprintf(stderr, "{\"pairs\": %zu, \"seconds\": %.6f, \"answers_per_s\": %.1f}\n", pairs.size(), best,
               pairs.size() / best);
  return 0;
}
