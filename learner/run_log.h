// A run directory's logs (runs/<name>/): recipe.yaml (the file as given) and recipe.resolved.yaml (every key
// with its value), metrics.jsonl (one object per step: docs/metrics.md) and TensorBoard event files,
// leases.jsonl (the prompt leases each step consumed: the data audit trail),
// log.txt (what info() printed), learner.addr (where actors connect), and the console: info lines on
// stderr and a one-line progress display (rewritten in place on a terminal, a line every 10 s otherwise).
// On resume, metrics.jsonl and leases.jsonl keep only the steps up to the checkpoint, so that they read as one
// run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/learner_config.h"
#include "learner/tb_events.h"

namespace ascent {

class RunLog {
 public:
  // revalidate: the resumed checkpoint's validation runs again, so a line of it already written (a
  // background validation's own line of step resume_step) is dropped too.
  static absl::StatusOr<std::unique_ptr<RunLog>> open(const std::string& run_dir, const LearnerConfig& r,
                                                      int64_t resume_step, bool progress,
                                                      bool revalidate = false);
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  ~RunLog();
  // One line of metrics.jsonl (a non-finite value as null) and the TensorBoard scalars. DataLoss naming the
  // file when a write fails (a full disk): the caller stops the run, whose last checkpoint stays whole.
  absl::Status metrics(int64_t step, const std::map<std::string, double>& values);
  // A background validation's own line (run.validation.background), written after later steps' lines: in
  // TensorBoard without its compute/* keys, whose earlier step would read as a restart there (TensorBoard
  // drops a tag's later points when a step goes back).
  absl::Status validation_metrics(int64_t step, const std::map<std::string, double>& values);
  // One line of leases.jsonl: the prompt leases whose groups step `step` consumed (trained, filtered or
  // dropped), in lease order, and their prompt ids: the run's data audit trail (a resume cuts it back like
  // metrics.jsonl, so each lease appears once in a finished run).
  absl::Status leases(int64_t step, const std::vector<int64_t>& leases,
                      const std::vector<std::string>& prompts);
  void info(const std::string& line);
  void progress(const std::string& line);
  void finish();  // ends the progress line
  absl::Status write_address(const std::string& address);

 private:
  RunLog() = default;
  std::string dir_;
  absl::Status write_line(std::FILE* f, const char* name, int64_t step, const std::string& line);
  absl::Status metrics_line(int64_t step, const std::map<std::string, double>& values);  // metrics.jsonl only
  std::FILE* metrics_ = nullptr;
  std::FILE* leases_ = nullptr;
  std::FILE* log_ = nullptr;
  std::unique_ptr<TbEventWriter> tb_;
  bool progress_ = true, tty_ = false, open_line_ = false;
  double last_progress_ = -1e9;
};

}  // namespace ascent
