#include "core/yaml_reader.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace ascent {

YamlReader::YamlReader(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(file_, ":", node_.Mark().line + 1, ": ", path_, ": expected a map of keys"));
  }
}

std::string YamlReader::where(const std::string& key) const {
  int line = 0;
  if (node_.IsMap() && node_[key].IsDefined())
    line = node_[key].Mark().line + 1;
  else if (node_.IsDefined())
    line = node_.Mark().line + 1;
  std::string full = path_.empty() ? key : path_ + "." + key;
  return line > 0 ? absl::StrCat(file_, ":", line, ": ", full) : absl::StrCat(file_, ": ", full);
}

void YamlReader::fail(const std::string& key, const std::string& message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(where(key) + ": " + message);
}

bool YamlReader::lookup(const std::string& key, YAML::Node* out) {
  seen_.insert(key);
  if (!status_.ok() || !node_.IsMap()) return false;
  *out = node_[key];
  return out->IsDefined() && !out->IsNull();
}

void YamlReader::read(const std::string& key, double* out, std::optional<double> min,
                      std::optional<double> max, bool min_exclusive) {
  YAML::Node node;
  if (!lookup(key, &node)) return;
  const YAML::Node* n = &node;
  double v = 0;
  if (!n->IsScalar() || !YAML::convert<double>::decode(*n, v) || std::isnan(v)) {
    return fail(
        key, "expected a number, got '" + (n->IsScalar() ? n->Scalar() : std::string("a collection")) + "'");
  }
  if (min && (min_exclusive ? v <= *min : v < *min)) {
    return fail(key, absl::StrCat("must be ", min_exclusive ? "> " : ">= ", *min, ", got ", v));
  }
  if (max && v > *max) return fail(key, absl::StrCat("must be <= ", *max, ", got ", v));
  *out = v;
}

void YamlReader::read(const std::string& key, int64_t* out, std::optional<int64_t> min,
                      std::optional<int64_t> max) {
  YAML::Node node;
  if (!lookup(key, &node)) return;
  const YAML::Node* n = &node;
  long long v = 0;
  if (!n->IsScalar() || !YAML::convert<long long>::decode(*n, v)) {
    return fail(key, "expected an integer, got '" +
                         (n->IsScalar() ? n->Scalar() : std::string("a collection")) + "'");
  }
  if (min && v < *min) return fail(key, absl::StrCat("must be >= ", *min, ", got ", v));
  if (max && v > *max) return fail(key, absl::StrCat("must be <= ", *max, ", got ", v));
  *out = v;
}

void YamlReader::read(const std::string& key, bool* out) {
  YAML::Node node;
  if (!lookup(key, &node)) return;
  const YAML::Node* n = &node;
  bool v = false;
  if (!n->IsScalar() || !YAML::convert<bool>::decode(*n, v)) {
    return fail(key, "expected true or false, got '" +
                         (n->IsScalar() ? n->Scalar() : std::string("a collection")) + "'");
  }
  *out = v;
}

void YamlReader::read(const std::string& key, std::string* out, const std::vector<std::string>& allowed) {
  YAML::Node node;
  if (!lookup(key, &node)) return;
  const YAML::Node* n = &node;
  if (!n->IsScalar()) return fail(key, "expected a string");
  const std::string v = n->Scalar();
  if (!allowed.empty()) {
    bool ok = false;
    std::string list;
    for (const auto& a : allowed) {
      ok = ok || a == v;
      list += (list.empty() ? "" : ", ") + a;
    }
    if (!ok) return fail(key, "'" + v + "' is not one of: " + list);
  }
  *out = v;
}

void YamlReader::read_optional(const std::string& key, std::optional<double>* out, std::optional<double> min,
                               bool min_exclusive) {
  double v = 0;
  const bool present = node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
  read(key, &v, min, {}, min_exclusive);
  if (present && status_.ok()) *out = v;
}

YamlReader& YamlReader::section(const std::string& key) {
  seen_.insert(key);
  YAML::Node child = node_.IsMap() ? node_[key] : YAML::Node();
  children_.emplace_back(child, file_, path_.empty() ? key : path_ + "." + key);
  return children_.back();
}

std::vector<YamlReader*> YamlReader::section_list(const std::string& key) {
  std::vector<YamlReader*> out;
  YAML::Node node;
  if (!lookup(key, &node)) return out;
  if (!node.IsSequence()) {
    fail(key, "expected a list of maps");
    return out;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item = absl::StrCat(path_.empty() ? key : path_ + "." + key, "[", i, "]");
    if (!node[i].IsMap()) {
      fail(key, absl::StrCat("element ", i, " must be a map"));
      return {};
    }
    children_.emplace_back(node[i], file_, item);
    out.push_back(&children_.back());
  }
  return out;
}

YAML::Node YamlReader::read_raw(const std::string& key) {
  YAML::Node node;
  lookup(key, &node);
  return node;
}

absl::Status YamlReader::finish() {
  if (status_.ok() && node_.IsMap()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (!it->first.IsScalar()) {
        status_ = absl::InvalidArgumentError(absl::StrCat(file_, ":", it->first.Mark().line + 1, ": ",
                                                          path_.empty() ? "" : path_ + ": ",
                                                          "a key must be a plain name, not a list or a map"));
        break;
      }
      const std::string k = it->first.as<std::string>();
      if (!seen_.count(k)) {
        const std::string full = path_.empty() ? k : path_ + "." + k;
        status_ = absl::InvalidArgumentError(
            absl::StrCat(file_, ":", it->first.Mark().line + 1, ": ", full, ": unknown key"));
        break;
      }
    }
  }
  for (auto& child : children_) {
    absl::Status st = child.finish();
    if (status_.ok() && !st.ok()) status_ = st;
  }
  return status_;
}

absl::Status yaml_load_string(const std::string& text, const std::string& name, YAML::Node* out) {
  try {
    *out = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ":", e.mark.line + 1, ": YAML syntax error: ", e.msg));
  }
  return absl::OkStatus();
}

absl::Status yaml_load_file(const std::string& path, YAML::Node* out) {
  try {
    *out = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(path + ": cannot open");
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ": YAML syntax error: ", e.msg));
  }
  return absl::OkStatus();
}

nlohmann::json yaml_to_json(const YAML::Node& n, bool top) {
  if (!n.IsDefined() || n.IsNull()) return top ? nlohmann::json::object() : nlohmann::json(nullptr);
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto it = n.begin(); it != n.end(); ++it)
      j[it->first.as<std::string>()] = yaml_to_json(it->second, false);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& e : n) j.push_back(yaml_to_json(e, false));
    return j;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {  // unquoted scalars may be numbers or booleans
    bool b;
    int64_t i;
    double d;
    if (YAML::convert<bool>::decode(n, b) && (s == "true" || s == "false")) return b;
    if (YAML::convert<int64_t>::decode(n, i)) return i;
    if (YAML::convert<double>::decode(n, d)) return d;
  }
  return s;
}

}  // namespace ascent
