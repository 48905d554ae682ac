// Validated reading of YAML recipe sections (yaml-cpp underneath). Every value is read through a YamlReader
// that remembers which keys it consumed; finish() then rejects any key nobody read. Every error names the
// file, the line and the full dotted key: "recipe.yaml:7: algorithm.cispo.eps_max: must be > 0, got 0".
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace ascent {

class YamlReader {
 public:
  // `node` must be a map (or null: every key then takes its default). `path` is the dotted prefix
  // ("algorithm").
  YamlReader(const YAML::Node& node, std::string file, std::string path);

  // Each reader sets *out only when the key is present and valid; the first error is kept and later calls
  // no-op.
  void read(const std::string& key, double* out, std::optional<double> min = {},
            std::optional<double> max = {}, bool min_exclusive = false);
  void read(const std::string& key, int64_t* out, std::optional<int64_t> min = {},
            std::optional<int64_t> max = {});
  void read(const std::string& key, bool* out);
  void read(const std::string& key, std::string* out, const std::vector<std::string>& allowed = {});
  // An optional number: null or absent leaves *out empty.
  void read_optional(const std::string& key, std::optional<double>* out, std::optional<double> min = {},
                     bool min_exclusive = false);
  // A nested map section (absent: all defaults). Its errors and unknown keys surface in this reader's
  // finish().
  YamlReader& section(const std::string& key);
  // A list of map sections ("plugins: [{...}, {...}]"): one reader per element, path "key[i]". Absent: empty;
  // not a list of maps: an error.
  std::vector<YamlReader*> section_list(const std::string& key);
  // The raw node under key (free-form values such as a plugin's own config); marks the key as known.
  YAML::Node read_raw(const std::string& key);
  // Records an error of this reader's own making (cross-field checks), at `key`'s line.
  void fail(const std::string& key, const std::string& message);

  // Unknown keys become errors; returns the first error of this reader and of every section() it made.
  absl::Status finish();

 private:
  std::string where(const std::string& key) const;       // "file:line: path.key"
  bool lookup(const std::string& key, YAML::Node* out);  // marks the key seen; false if absent or null
  YAML::Node node_;
  std::string file_, path_;
  std::set<std::string> seen_;
  absl::Status status_;
  std::deque<YamlReader> children_;  // stable addresses for section()
};

// Parses a YAML file or string; syntax errors carry file:line.
absl::Status yaml_load_file(const std::string& path, YAML::Node* out);
absl::Status yaml_load_string(const std::string& text, const std::string& name, YAML::Node* out);

// Free-form YAML (a plugin's config, a tool's JSON schema) as JSON: scalars become bool, integer, number,
// else string (quoted scalars stay strings). `top`: an absent or null node is {}; a null inside stays null.
nlohmann::json yaml_to_json(const YAML::Node& n, bool top = true);

}  // namespace ascent
