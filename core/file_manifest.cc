#include "core/file_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crc32.h"
#include "core/file_write.h"
#include "core/json_file.h"
#include "nlohmann/json.hpp"

namespace ascent {

namespace fs = std::filesystem;

namespace {
constexpr char kManifest[] = "manifest.json";
constexpr char kFormat[] = "ascent.manifest.v1";
}  // namespace

absl::Status file_crc32(const std::string& path, uint32_t* crc, int64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // A missing file is damage (NotFound); anything else (EACCES, EIO, EMFILE) may pass: Unavailable.
    const std::string why = absl::StrCat(path, ": cannot open: ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(why) : absl::UnavailableError(why);
  }
  std::vector<unsigned char> buf(size_t{4} << 20);
  uint32_t c = 0;
  int64_t total = 0;
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status st = absl::UnavailableError(absl::StrCat(path, ": read failed: ", std::strerror(errno)));
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    c = crc32_update(c, buf.data(), static_cast<size_t>(n));
    total += n;
  }
  ::close(fd);
  *crc = c;
  *bytes = total;
  return absl::OkStatus();
}

absl::Status manifest_write(const std::string& dir) {
  nlohmann::json files = nlohmann::json::object();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      if (absl::Status st = dir_fsync(it->path().string()); !st.ok()) return st;
      continue;
    }
    if (!it->is_regular_file(type_ec) || rel == kManifest) continue;
    if (absl::Status st = file_fsync(it->path().string()); !st.ok()) return st;
    uint32_t crc = 0;
    int64_t bytes = 0;
    if (absl::Status st = file_crc32(it->path().string(), &crc, &bytes); !st.ok()) return st;
    files[rel] = {{"bytes", bytes}, {"crc32", crc}};
  }
  if (ec) return absl::DataLossError(absl::StrCat(dir, ": ", ec.message()));
  const nlohmann::json m = {{"format", kFormat}, {"files", files}};
  return file_write_atomic((fs::path(dir) / kManifest).string(), m.dump(1) + "\n");
}

absl::Status manifest_verify(const std::string& dir) {
  const std::string path = (fs::path(dir) / kManifest).string();
  absl::StatusOr<nlohmann::json> m = json_file_read_object(path);
  if (!m.ok()) return absl::DataLossError(m.status().message());
  const nlohmann::json* files =
      m->is_object() && m->value("format", "") == kFormat && m->contains("files") ? &(*m)["files"] : nullptr;
  if (files == nullptr || !files->is_object() || files->empty())
    return absl::DataLossError(absl::StrCat(path, ": not an ", kFormat, " with a list of files"));
  for (const auto& [rel, want] : files->items()) {
    const fs::path p = fs::path(dir) / rel;
    const fs::path relp(rel);
    const bool inside = !rel.empty() && relp.is_relative() &&
                        std::none_of(relp.begin(), relp.end(), [](const fs::path& c) { return c == ".."; });
    if (!inside || !want.is_object() || !want.value("bytes", nlohmann::json()).is_number_unsigned() ||
        !want.value("crc32", nlohmann::json()).is_number_unsigned())
      return absl::DataLossError(absl::StrCat(path, ": malformed entry '", rel, "'"));
    uint32_t crc = 0;
    int64_t bytes = 0;
    if (absl::Status st = file_crc32(p.string(), &crc, &bytes); !st.ok()) return st;
    if (bytes != want["bytes"].get<int64_t>())
      return absl::DataLossError(absl::StrCat(p.string(), ": ", bytes, " bytes, the manifest says ",
                                              want["bytes"].get<int64_t>(), " (truncated or replaced)"));
    if (crc != want["crc32"].get<uint32_t>())
      return absl::DataLossError(absl::StrCat(
          p.string(), ": CRC-32 differs from the manifest's (the file changed after it was written)"));
  }
  return absl::OkStatus();
}

}  // namespace ascent
