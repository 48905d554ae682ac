// Encodes a JSONL file of {"text"} documents with a tokenizer.json, single-threaded: prints MB/s (best of
// --repeat passes, the word cache warm after the first) and writes the ids to --ids-out for a comparison.
// bench/tokenizer_vs_hf.py runs it beside Hugging Face `tokenizers` on the same documents.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "CLI/CLI.hpp"
#include "model/tokenizer/hf_tokenizer.h"
#include "nlohmann/json.hpp"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

int main(int argc, char** argv) {
  std::string tokenizer, input, ids_out;
  int repeat = 3;
  CLI::App app{"bench_tokenizer"};
  app.add_option("tokenizer", tokenizer)->required();
  app.add_option("input", input)->required();
  app.add_option("--ids-out", ids_out);
  app.add_option("--repeat", repeat);
  CLI11_PARSE(app, argc, argv);
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tok = HfTokenizer::load(tokenizer);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", std::string(tok.status().message()).c_str());
    return 1;
  }
  std::vector<std::string> docs;
  size_t bytes = 0;
  std::ifstream in(input);
  std::string line;
  while (std::getline(in, line)) {
    docs.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    bytes += docs.back().size();
  }
  std::vector<std::vector<int32_t>> ids(docs.size());
  double first = 0, best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < docs.size(); ++i) ids[i] = *(*tok)->encode(docs[i]);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0) first = s;
    best = std::min(best, s);
  }
  if (!ids_out.empty()) {
    std::ofstream o(ids_out);
    for (const auto& v : ids) o << nlohmann::json(v).dump() << "\n";
  }
  size_t n = 0;
  for (const auto& v : ids) n += v.size();
  std::printf("{\"docs\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"first_mb_s\": %.2f, \"best_mb_s\": %.2f}\n",
              docs.size(), bytes, n, bytes / first / 1e6, bytes / best / 1e6);
  return 0;
}
