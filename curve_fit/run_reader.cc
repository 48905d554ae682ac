#include "curve_fit/run_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/status.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace {

std::vector<std::string> candidates(const std::string& name) {
  // Short names and metrics.jsonl keys stand for each other.
  static const std::pair<const char*, const char*> kAliases[] = {{"gpu_hours", "compute/gpu_hours"},
                                                                 {"tokens", "compute/tokens"},
                                                                 {"pass_rate", "val/pass_rate"},
                                                                 {"samples", "val/samples"}};
  // CPU runs of ascent train write device-hours (docs/metrics.md): the x when no GPU-hours are logged.
  if (name == "gpu_hours" || name == "compute/gpu_hours")
    return {name, "compute/gpu_hours", "compute/device_hours"};
  for (auto [short_name, key] : kAliases) {
    if (name == short_name) return {name, key};
    if (name == key) return {name, short_name};
  }
  return {name};
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// Sample counts (the column `samples` / `val/samples`) are kept only when some point has one.
void drop_unknown_counts(Points* p) {
  if (std::all_of(p->N.begin(), p->N.end(), [](double n) { return n == 0; })) p->N.clear();
}

// A number from a JSON value: nullopt-like NaN for null, strings that do not parse, etc.
bool json_number(const nlohmann::json& v, double* out) {
  if (!v.is_number()) return false;
  *out = v.get<double>();
  return std::isfinite(*out);
}

absl::StatusOr<Points> read_jsonl(const std::string& path, std::istream& in, const std::string& x,
                                  const std::string& y, std::vector<std::string>* warnings) {
  Points p;
  std::string line;
  int lineno = 0, with_y = 0;
  std::vector<std::string> xs = candidates(x), ys = candidates(y), ns = candidates("samples");
  auto find = [](const nlohmann::json& j, const std::vector<std::string>& names) -> const nlohmann::json* {
    for (const std::string& n : names) {
      if (auto it = j.find(n); it != j.end()) return &*it;
    }
    return nullptr;
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", lineno, ": not a JSON object: ", e.what()));
    }
    if (!j.is_object())
      return absl::InvalidArgumentError(absl::StrCat(path, ":", lineno, ": not a JSON object"));
    const nlohmann::json* yv = find(j, ys);
    if (yv == nullptr) continue;  // a training step without a validation
    ++with_y;
    const nlohmann::json* xv = find(j, xs);
    if (xv == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", lineno, ": has '", y, "' but no '", x,
                                                     "' (looked for ", absl::StrJoin(xs, ", "), ")"));
    }
    double cx = 0, ry = 0;
    if (!json_number(*xv, &cx) || !json_number(*yv, &ry)) {
      warnings->push_back(absl::StrCat(path, ":", lineno, ": ", x, " = ", xv->dump(), ", ", y, " = ",
                                       yv->dump(), " is not a finite number: point left out"));
      continue;
    }
    p.C.push_back(cx), p.R.push_back(ry);
    const nlohmann::json* nv = find(j, ns);
    double n = 0;
    p.N.push_back(nv != nullptr && json_number(*nv, &n) && n >= 0 ? n : 0);
  }
  drop_unknown_counts(&p);
  if (with_y == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no line has the metric '", y, "' (looked for ", absl::StrJoin(ys, ", "), ")"));
  }
  return p;
}

absl::StatusOr<Points> read_csv(const std::string& path, std::istream& in, const std::string& x,
                                const std::string& y, std::vector<std::string>* warnings) {
  std::string line;
  int lineno = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++lineno;
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (s.empty() || s[0] == '#') continue;
    for (absl::string_view c : absl::StrSplit(s, ',')) header.emplace_back(absl::StripAsciiWhitespace(c));
  }
  if (header.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty (no header row)"));
  auto column = [&](const std::string& name) -> int {
    for (const std::string& n : candidates(name)) {
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == n) return static_cast<int>(i);
      }
    }
    return -1;
  };
  const int cx = column(x), cy = column(y), cn = column("samples");
  for (auto [c, name] : {std::pair{cx, x}, std::pair{cy, y}}) {
    if (c < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":1: no column '", name, "'; the columns are: ", absl::StrJoin(header, ", ")));
    }
  }
  Points p;
  while (std::getline(in, line)) {
    ++lineno;
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (s.empty() || s[0] == '#') continue;
    std::vector<std::string> cells;
    for (absl::string_view c : absl::StrSplit(s, ',')) cells.emplace_back(absl::StripAsciiWhitespace(c));
    if (cells.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", lineno, ": ", cells.size(), " cells, the header has ", header.size()));
    }
    double vx = NAN, vy = NAN;
    auto parse = [](const std::string& t, double* v) {
      char* end = nullptr;
      *v = std::strtod(t.c_str(), &end);
      return !t.empty() && end == t.c_str() + t.size() && std::isfinite(*v);
    };
    if (!parse(cells[cx], &vx) || !parse(cells[cy], &vy)) {
      warnings->push_back(absl::StrCat(path, ":", lineno, ": ", x, " = '", cells[cx], "', ", y, " = '",
                                       cells[cy], "' is not a finite number: point left out"));
      continue;
    }
    p.C.push_back(vx), p.R.push_back(vy);
    double n = 0;
    p.N.push_back(cn >= 0 && parse(cells[cn], &n) && n >= 0 ? n : 0);
  }
  drop_unknown_counts(&p);
  return p;
}

}  // namespace

absl::StatusOr<Points> points_read(const std::string& path, const std::string& x, const std::string& y,
                                   std::vector<std::string>* warnings) {
  std::ifstream in(path);
  if (!in) return ascent_errno_error("cannot open", path);
  if (ends_with(path, ".csv")) return read_csv(path, in, x, y, warnings);
  if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return read_jsonl(path, in, x, y, warnings);
  // Unknown extension: a JSON object per line starts with '{'.
  const int c = (in >> std::ws).peek();
  in.seekg(0);
  return c == '{' ? read_jsonl(path, in, x, y, warnings) : read_csv(path, in, x, y, warnings);
}

absl::StatusOr<RunData> run_read(const std::string& spec, const std::string& x, const std::string& y) {
  RunData run;
  std::string files = spec;
  if (size_t eq = spec.find('='); eq != std::string::npos)
    run.label = spec.substr(0, eq), files = spec.substr(eq + 1);
  for (absl::string_view f : absl::StrSplit(files, ',', absl::SkipEmpty())) run.files.emplace_back(f);
  if (run.files.empty()) return absl::InvalidArgumentError(absl::StrCat("'", spec, "' names no file"));
  if (run.label.empty()) run.label = std::filesystem::path(run.files[0]).stem().string();
  for (const std::string& f : run.files) {
    ASCENT_ASSIGN_OR_RETURN(Points p, points_read(f, x, y, &run.warnings));
    run.seeds.push_back(std::move(p));
  }
  return run;
}

}  // namespace ascent
