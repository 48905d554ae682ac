#include "model/safetensors.h"

#include <cstdio>
#include <fstream>

#include "core/json_file.h"
#include "core/status.h"
#include "nlohmann/json.hpp"

namespace ascent {

using nlohmann::json;

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit is 100 MB

absl::Status bad(const std::string& path, const std::string& what) {
  return absl::DataLossError(absl::StrCat(path, ": ", what));
}
}  // namespace

absl::StatusOr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  ASCENT_ASSIGN_OR_RETURN(f.map_, MappedFile::open(path));
  if (f.map_.size() < 8) {
    return bad(path,
               absl::StrCat("truncated: ", f.map_.size(), " bytes, shorter than the 8-byte header length"));
  }

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | f.map_.data()[i];
  if (header_len > kMaxHeader || header_len > f.map_.size() - 8) {
    return bad(path, absl::StrCat("header length ", header_len, " exceeds the file (", f.map_.size(),
                                  " bytes): truncated or not a safetensors file"));
  }
  const char* hdr = reinterpret_cast<const char*>(f.map_.data() + 8);
  if (!json_depth_ok(std::string_view(hdr, header_len)))
    return bad(path, "header nests too deep (corrupted)");
  json j = json::parse(hdr, hdr + header_len, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad(path, "header is not a valid JSON object (corrupted)");
  f.data_ = f.map_.data() + 8 + header_len;
  const uint64_t data_size = f.map_.size() - 8 - header_len;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return bad(path, "__metadata__ is not an object");
      for (auto m2 = it->begin(); m2 != it->end(); ++m2) {
        if (m2->is_string()) f.metadata_[m2.key()] = m2->get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + it.key() + "': ";
    const json& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets")) {
      return bad(path, where + "entry lacks dtype, shape or data_offsets");
    }
    SafetensorsEntry entry;
    entry.name = it.key();
    if (!e["dtype"].is_string() || !dtype_parse(e["dtype"].get<std::string>(), &entry.dtype)) {
      return bad(path, where + "unsupported dtype " + e["dtype"].dump() + " (F32, F16, BF16)");
    }
    if (!e["shape"].is_array()) return bad(path, where + "shape is not a list");
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        return bad(path, where + "bad shape " + e["shape"].dump());
      entry.shape.push_back(d.get<int64_t>());
      numel *= static_cast<uint64_t>(d.get<int64_t>());
    }
    const json& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return bad(path, where + "bad data_offsets " + off.dump());
    }
    entry.begin = off[0].get<uint64_t>();
    entry.end = off[1].get<uint64_t>();
    if (entry.end < entry.begin || entry.end > data_size) {
      return bad(path, absl::StrCat(where, "data_offsets [", entry.begin, ", ", entry.end,
                                    "] run past the end of the data (", data_size,
                                    " bytes): the file is truncated or corrupted"));
    }
    if (entry.end - entry.begin != numel * static_cast<uint64_t>(dtype_size(entry.dtype))) {
      return bad(path, absl::StrCat(where, "byte size ", entry.end - entry.begin, " does not match shape ",
                                    shape_to_string(entry.shape), " of ", dtype_name(entry.dtype)));
    }
    f.entries_[entry.name] = std::move(entry);
  }
  return f;
}

absl::Status SafetensorsFile::read_f32(const std::string& name, const std::vector<int64_t>& expect_shape,
                                       float* dst) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    return absl::NotFoundError(absl::StrCat(path_, ": tensor '", name, "' is missing"));
  const SafetensorsEntry& e = it->second;
  if (e.shape != expect_shape) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": tensor '", name, "' has shape ",
                                                   shape_to_string(e.shape), ", the config expects ",
                                                   shape_to_string(expect_shape)));
  }
  int64_t numel = 1;
  for (int64_t d : e.shape) numel *= d;
  dtype_to_f32(e.dtype, data_ + e.begin, dst, numel);
  return absl::OkStatus();
}

absl::Status safetensors_write(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    uint64_t bytes = static_cast<uint64_t>(numel) * dtype_size(t.dtype);
    header[t.name] = {
        {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string hs = header.dump();
  while ((hs.size() + 8) % 8 != 0) hs.push_back(' ');  // align the data section to 8 bytes, as writers do
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return ascent_errno_error("open for writing", tmp);
  uint64_t n = hs.size();
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(hs.data(), static_cast<std::streamsize>(hs.size()));
  std::vector<uint8_t> buf;
  for (const auto& t : tensors) {
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    buf.resize(static_cast<size_t>(numel) * dtype_size(t.dtype));
    dtype_from_f32(t.dtype, t.data, buf.data(), numel);
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  }
  out.close();
  if (!out) return ascent_errno_error("write", tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return ascent_errno_error("rename to " + path, tmp);
  return absl::OkStatus();
}

}  // namespace ascent
