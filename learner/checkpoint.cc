#include "learner/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/file_manifest.h"
#include "core/file_write.h"
#include "core/json_file.h"
#include "model/safetensors.h"

namespace ascent {

namespace fs = std::filesystem;

namespace {

std::string step_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%06ld", static_cast<long>(step));
  return buf;
}

// "step-" and digits: a finished checkpoint (not step-N.tmp, not step-N.refused).
bool is_checkpoint_name(const std::string& name) {
  return name.size() > 5 && name.rfind("step-", 0) == 0 &&
         name.find_first_not_of("0123456789", 5) == std::string::npos;
}

// The finished checkpoints' names, oldest first (the zero-padded steps sort as numbers).
std::vector<std::string> checkpoint_names(const fs::path& root) {
  std::vector<std::string> all;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && is_checkpoint_name(name)) all.push_back(name);
  }
  std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return all;
}

// Float32 on disk: the master weights (the loaded layout's dtypes are restored afterwards).
absl::Status checkpoint_model_save(Model& m, const std::string& dir) {
  const std::vector<DType> disk = m.disk_dtype;
  const std::vector<std::string> shards = m.disk_shard;
  std::fill(m.disk_dtype.begin(), m.disk_dtype.end(), DType::kF32);
  std::fill(m.disk_shard.begin(), m.disk_shard.end(), std::string("model.safetensors"));
  absl::Status st = model_save(m, dir);
  m.disk_dtype = disk;
  m.disk_shard = shards;
  return st;
}

// Everything of a checkpoint into `tmp`, the manifest last (every file fsynced, its CRC taken from what was
// written).
absl::Status checkpoint_write_parts(const fs::path& tmp, Model& m, const LoraAdapters* lora,
                                    const AdamWState& opt, const nlohmann::json& state) {
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(tmp.string(), ": ", ec.message()));
  absl::Status st = lora ? lora_save_peft(*lora, (tmp / "adapter").string(), m.source_dir)
                         : checkpoint_model_save(m, (tmp / "model").string());
  if (!st.ok()) return st;
  const int64_t n = static_cast<int64_t>(opt.m.size());
  st = safetensors_write(
      (tmp / "optimizer.safetensors").string(),
      {{"adamw.m", DType::kF32, {n}, opt.m.data()}, {"adamw.v", DType::kF32, {n}, opt.v.data()}},
      {{"adamw_step", std::to_string(opt.step)}});
  if (!st.ok()) return st;
  if (st = file_write_atomic((tmp / "state.json").string(), state.dump(1)); !st.ok()) return st;
  return manifest_write(tmp.string());
}

}  // namespace

absl::Status checkpoint_save(const std::string& run_dir, int64_t step, Model& m, const LoraAdapters* lora,
                             const AdamWState& opt, const nlohmann::json& state, int64_t keep) {
  // Never save towards NaN: a checkpoint that would hold a non-finite weight or moment is refused before
  // anything is written (the older checkpoints, which rotation would remove, stay).
  using Part = std::tuple<const char*, const float*, int64_t>;
  for (const auto& [what, x, count] :
       {Part{"a weight", lora ? lora->params.data() : m.params.data(),
             lora ? lora->size() : static_cast<int64_t>(m.params.size())},
        Part{"AdamW's first moment", opt.m.data(), static_cast<int64_t>(opt.m.size())},
        Part{"AdamW's second moment", opt.v.data(), static_cast<int64_t>(opt.v.size())}}) {
    if (int64_t at = first_non_finite(x, count); at >= 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint of step ", step, " refused: ", what, " is not finite (element ", at, ")"));
    }
  }
  const fs::path root = fs::path(run_dir) / "checkpoints";
  const fs::path final_dir = root / step_name(step);
  const fs::path tmp = root / (step_name(step) + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (absl::Status st = checkpoint_write_parts(tmp, m, lora, opt, state); !st.ok()) {
    fs::remove_all(tmp, ec);  // a full disk: give the space back; the older checkpoints are untouched
    return st;
  }
  absl::Status st;
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(final_dir.string(), ": ", ec.message()));
  if (st = dir_fsync(root.string()); !st.ok()) return st;
  // Read back whole before anything older goes: `latest` and the rotation move only towards a checkpoint
  // that verifies.
  if (st = manifest_verify(final_dir.string()); !st.ok()) return st;
  if (st = file_write_atomic((root / "latest").string(), step_name(step) + "\n"); !st.ok()) return st;
  // Keep the newest `keep`.
  const std::vector<std::string> all = checkpoint_names(root);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) fs::remove_all(root / all[i], ec);
  return absl::OkStatus();
}

std::vector<std::string> checkpoint_remove_unfinished(const std::string& run_dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  const fs::path root = fs::path(run_dir) / "checkpoints";
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.rfind("step-", 0) == 0 && name.size() > 4 &&
        name.compare(name.size() - 4, 4, ".tmp") == 0) {
      removed.push_back(name);
    }
  }
  for (const std::string& name : removed) fs::remove_all(root / name, ec);
  return removed;
}

absl::StatusOr<std::string> checkpoint_latest(const std::string& run_dir, std::vector<std::string>* refused) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  std::vector<std::string> names = checkpoint_names(root);
  if (names.empty()) return absl::NotFoundError(absl::StrCat(root.string(), ": no checkpoint"));
  // A run whose checkpoints were all written before ascent kept manifests: each was made whole by the rename
  // that published it, and is taken unverified (said). Once any has a manifest, one without is damage.
  const bool any_manifest = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return fs::exists(root / n / "manifest.json");
  });
  std::string reasons;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    const fs::path dir = root / *it;
    if (!any_manifest && fs::exists(dir / "state.json")) {
      if (refused)
        refused->push_back(absl::StrCat(dir.string(),
                                        " has no manifest.json (written before ascent kept them): "
                                        "taken unverified"));
      return dir.string();
    }
    absl::Status st = manifest_verify(dir.string());
    if (st.ok()) return dir.string();
    // Not damage (EACCES, EIO: a checkpoint that may be whole): an error, nothing set aside.
    if (absl::IsUnavailable(st))
      return absl::Status(st.code(), absl::StrCat(dir.string(), " cannot be verified: ", st.message()));
    absl::StrAppend(&reasons, "\n  ", *it, ": ", st.message());
    // Set aside, so that neither a later resume nor the rotation takes it for a checkpoint again (the user
    // deletes step-N.refused when done with it).
    std::error_code ec;
    const fs::path aside = root / (*it + ".refused");
    fs::remove_all(aside, ec);
    fs::rename(dir, aside, ec);
    if (refused)
      refused->push_back(absl::StrCat(dir.string(), " refused (", st.message(), ")",
                                      ec ? absl::StrCat("; could not be moved aside: ", ec.message())
                                         : absl::StrCat(": moved to ", aside.string())));
    if (ec) return absl::Status(absl::StatusCode::kDataLoss, absl::StrCat(dir.string(), ": ", st.message()));
  }
  return absl::DataLossError(
      absl::StrCat(root.string(), ": no checkpoint verifies against its manifest:", reasons));
}

absl::StatusOr<Model> checkpoint_load(const std::string& ckpt, AdamWState* opt, nlohmann::json* state) {
  absl::StatusOr<Model> m = model_load((fs::path(ckpt) / "model").string());
  if (!m.ok()) return m.status();
  if (absl::Status st = checkpoint_load_state(ckpt, static_cast<int64_t>(m->params.size()), opt, state);
      !st.ok())
    return st;
  return m;
}

absl::Status checkpoint_load_state(const std::string& ckpt, int64_t n, AdamWState* opt,
                                   nlohmann::json* state) {
  const std::string opath = (fs::path(ckpt) / "optimizer.safetensors").string();
  auto f = SafetensorsFile::open(opath);
  if (!f.ok()) return f.status();
  adamw_init(*opt, n);
  if (absl::Status st = f->read_f32("adamw.m", {n}, opt->m.data()); !st.ok()) return st;
  if (absl::Status st = f->read_f32("adamw.v", {n}, opt->v.data()); !st.ok()) return st;
  for (const auto& [name, x] : {std::pair{"adamw.m", opt->m.data()}, {"adamw.v", opt->v.data()}}) {
    if (int64_t at = first_non_finite(x, n); at >= 0)
      return absl::DataLossError(
          absl::StrCat(opath, ": tensor '", name, "' holds a non-finite value at element ", at));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (opt->v[i] < 0)
      return absl::DataLossError(absl::StrCat(opath, ": tensor 'adamw.v' holds a negative second moment (",
                                              opt->v[i], ") at element ", i));
  }
  auto it = f->metadata().find("adamw_step");
  if (it == f->metadata().end()) return absl::DataLossError(opath + ": no adamw_step in the metadata");
  if (!absl::SimpleAtoi(it->second, &opt->step) || opt->step < 0)
    return absl::DataLossError(absl::StrCat(opath, ": adamw_step \"", it->second, "\" is not a step count"));
  std::ifstream sf(fs::path(ckpt) / "state.json");
  std::stringstream ss;
  ss << sf.rdbuf();
  if (!json_depth_ok(ss.str())) return absl::DataLossError(absl::StrCat(ckpt, "/state.json: nests too deep"));
  try {
    *state = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(ckpt, "/state.json: ", e.what()));
  }
  if (!state->is_object() || state->value("format", "") != "ascent.run_state.v1") {
    return absl::DataLossError(absl::StrCat(ckpt, "/state.json: not ascent.run_state.v1"));
  }
  if (!state->contains("step") || !(*state)["step"].is_number_integer() ||
      (*state)["step"].get<int64_t>() < 0) {
    return absl::DataLossError(absl::StrCat(ckpt, "/state.json: 'step' must be an integer >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace ascent
