#include "learner/run_log.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/file_write.h"
#include "core/status.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;

namespace {
// Keeps the lines of a JSONL file whose "step" is at most `step` (a resume trains the later steps again);
// with drop_validation, not a background validation's own line of `step` (it has val/pass_rate and, unlike
// a step's line, no groups/generated): the resume validates that step again.
absl::Status jsonl_keep_steps(const std::string& path, int64_t step, bool drop_validation) {
  std::ifstream in(path);
  if (!in) return absl::OkStatus();  // not written before (an older run has no leases.jsonl)
  std::string line, kept;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const int64_t s = j.value("step", int64_t{-1});
    const bool validation_line = j.contains("val/pass_rate") && !j.contains("groups/generated");
    if (s < step || (s == step && !(drop_validation && validation_line))) kept += line + "\n";
  }
  return file_write_atomic(path, kept);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

absl::StatusOr<std::unique_ptr<RunLog>> RunLog::open(const std::string& run_dir, const LearnerConfig& r,
                                                     int64_t resume_step, bool progress, bool revalidate) {
  std::unique_ptr<RunLog> owned(new RunLog());
  RunLog& l = *owned;
  l.dir_ = run_dir;
  l.progress_ = progress;
  l.tty_ = isatty(STDERR_FILENO);
  if (absl::Status st = file_write_atomic(run_dir + "/recipe.yaml", r.recipe_text); !st.ok()) return st;
  if (absl::Status st = file_write_atomic(run_dir + "/recipe.resolved.yaml", r.recipe_resolved); !st.ok())
    return st;
  const std::string mpath = run_dir + "/metrics.jsonl", lpath = run_dir + "/leases.jsonl";
  if (resume_step > 0) {
    for (const std::string& path : {mpath, lpath}) {
      if (absl::Status st = jsonl_keep_steps(path, resume_step, revalidate && path == mpath); !st.ok())
        return st;
    }
  }
  l.metrics_ = std::fopen(mpath.c_str(), resume_step > 0 ? "a" : "w");
  l.leases_ = std::fopen(lpath.c_str(), resume_step > 0 ? "a" : "w");
  l.log_ = std::fopen((run_dir + "/log.txt").c_str(), "a");
  if (!l.metrics_ || !l.leases_ || !l.log_)
    return absl::PermissionDeniedError(run_dir + ": cannot write the run's logs");
  auto tb = TbEventWriter::open(run_dir);
  if (!tb.ok()) return tb.status();
  l.tb_ = std::make_unique<TbEventWriter>(std::move(*tb));
  if (resume_step > 0) l.tb_->session_start(resume_step + 1, now_s());
  return owned;
}

RunLog::~RunLog() {
  if (metrics_) std::fclose(metrics_);
  if (leases_) std::fclose(leases_);
  if (log_) std::fclose(log_);
}

absl::Status RunLog::metrics_line(int64_t step, const std::map<std::string, double>& values) {
  nlohmann::json j;
  j["step"] = step;
  for (const auto& [k, v] : values) j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
  return write_line(metrics_, "metrics.jsonl", step, j.dump());
}

absl::Status RunLog::metrics(int64_t step, const std::map<std::string, double>& values) {
  ASCENT_RETURN_IF_ERROR(metrics_line(step, values));
  return tb_->scalars(step, values, now_s());
}

absl::Status RunLog::validation_metrics(int64_t step, const std::map<std::string, double>& values) {
  ASCENT_RETURN_IF_ERROR(metrics_line(step, values));
  std::map<std::string, double> tb;
  for (const auto& [k, v] : values)
    if (k.rfind("compute/", 0) != 0) tb[k] = v;
  return tb_->scalars(step, tb, now_s());
}

absl::Status RunLog::leases(int64_t step, const std::vector<int64_t>& leases,
                            const std::vector<std::string>& prompts) {
  const nlohmann::json j = {{"step", step}, {"leases", leases}, {"prompts", prompts}};
  return write_line(leases_, "leases.jsonl", step, j.dump());
}

absl::Status RunLog::write_line(std::FILE* f, const char* name, int64_t step, const std::string& line) {
  if (std::fputs((line + "\n").c_str(), f) < 0 || std::fflush(f) != 0 || std::ferror(f)) {
    std::clearerr(f);
    return absl::DataLossError(
        absl::StrCat(dir_, "/", name, ": write failed at step ", step, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void RunLog::info(const std::string& line) {
  if (open_line_ && tty_) std::fprintf(stderr, "\n");
  open_line_ = false;
  std::fprintf(stderr, "ascent: %s\n", line.c_str());
  std::fprintf(log_, "%.3f %s\n", now_s(), line.c_str());
  std::fflush(log_);
}

void RunLog::progress(const std::string& line) {
  std::fprintf(log_, "%.3f %s\n", now_s(), line.c_str());
  std::fflush(log_);
  if (!progress_) return;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    open_line_ = true;
  } else if (now_s() - last_progress_ >= 10) {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_progress_ = now_s();
  }
}

void RunLog::finish() {
  if (open_line_ && tty_) std::fprintf(stderr, "\n");
  open_line_ = false;
}

absl::Status RunLog::write_address(const std::string& address) {
  return file_write_atomic(dir_ + "/learner.addr", address + "\n");
}

}  // namespace ascent
