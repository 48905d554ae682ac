#include "learner/tb_events.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "proto/tensorboard.pb.h"

namespace ascent {

namespace {
// Reflected CRC-32C table (polynomial 0x82F63B78). No Debian package ships CRC-32C for C++ (zlib's crc32 is
// the other polynomial), and it is twelve lines.
std::array<uint32_t, 256> crc32c_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  static const std::array<uint32_t, 256> table = crc32c_table();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t crc32c_masked(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

absl::StatusOr<TbEventWriter> TbEventWriter::open(const std::string& dir) {
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string path =
      absl::StrCat(dir, "/events.out.tfevents.", static_cast<int64_t>(now), ".", host, ".", getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create"));
  TbEventWriter w(f, path);
  tensorflow::Event e;
  e.set_wall_time(now);
  e.set_file_version("brain.Event:2");
  w.record(e.SerializeAsString());
  return w;
}

TbEventWriter::~TbEventWriter() {
  if (f_) std::fclose(f_);
}

void TbEventWriter::record(const std::string& data) {
  const uint64_t len = data.size();
  const uint32_t len_crc = crc32c_masked(&len, sizeof(len));  // little-endian hosts
  const uint32_t data_crc = crc32c_masked(data.data(), data.size());
  std::fwrite(&len, sizeof(len), 1, f_);
  std::fwrite(&len_crc, sizeof(len_crc), 1, f_);
  std::fwrite(data.data(), 1, data.size(), f_);
  std::fwrite(&data_crc, sizeof(data_crc), 1, f_);
}

absl::Status TbEventWriter::scalars(int64_t step, const std::map<std::string, double>& values,
                                    double wall_time) {
  tensorflow::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  for (const auto& [tag, v] : values) {
    if (!std::isfinite(v)) continue;
    tensorflow::SummaryValue* s = e.mutable_summary()->add_value();
    s->set_tag(tag);
    s->set_simple_value(static_cast<float>(v));
  }
  record(e.SerializeAsString());
  return flush();
}

absl::Status TbEventWriter::flush() {
  if (std::fflush(f_) != 0 || std::ferror(f_)) {
    std::clearerr(f_);
    return absl::DataLossError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void TbEventWriter::session_start(int64_t step, double wall_time) {
  tensorflow::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  e.mutable_session_log()->set_status(tensorflow::SessionLog::START);
  record(e.SerializeAsString());
  std::fflush(f_);
}

}  // namespace ascent
