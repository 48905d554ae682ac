// Reading (compute, reward) points of a run from our metrics.jsonl (one JSON object per line, see
// docs/metrics.md) or from a CSV file with a header row of column names.
//  - Columns are named: `x` and `y` are looked up as given, then under their alias: a short name and its
//    metrics.jsonl key stand for each other (gpu_hours and compute/gpu_hours, tokens and compute/tokens,
//    pass_rate and val/pass_rate).
//  - The Bernoulli samples behind each y (Points::N, for the binomial noise of the intervals) come from the
//    column `samples` / `val/samples` where it exists (the learner logs val/samples = prompts x k).
//  - metrics.jsonl lines without the y key are training steps without a validation: skipped silently.
//  - A line whose x or y is null, empty or not finite is left out with a warning naming file:line; a missing
//    column (in every line) or a line that is not JSON / has the wrong number of cells is an error naming
//    file:line.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "curve_fit/points.h"

namespace ascent {

struct RunData {
  std::string label;               // given as label=..., else the first file's name without extension
  std::vector<std::string> files;  // several files: seeds of one recipe
  std::vector<Points> seeds;       // one per file
  std::vector<std::string> warnings;
};

// `spec` is "[label=]file[,file...]".
absl::StatusOr<RunData> run_read(const std::string& spec, const std::string& x, const std::string& y);
// One file.
absl::StatusOr<Points> points_read(const std::string& path, const std::string& x, const std::string& y,
                                   std::vector<std::string>* warnings);

}  // namespace ascent
