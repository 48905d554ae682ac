#include "rewards/frame_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/json_file.h"

namespace ascent {

namespace {

absl::Status write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    // MSG_NOSIGNAL: a dead peer gives EPIPE here instead of killing the trainer with SIGPIPE.
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("write: ", std::strerror(errno)));
    }
    p += w, n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::Status read_all(int fd, char* p, size_t n, std::chrono::steady_clock::time_point deadline,
                      bool forever) {
  while (n > 0) {
    int wait = -1;
    if (!forever) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return absl::DeadlineExceededError("timed out");
      wait = static_cast<int>(left.count());
    }
    pollfd pfd{fd, POLLIN, 0};
    const int pr = poll(&pfd, 1, wait);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    if (pr == 0) return absl::DeadlineExceededError("timed out");
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return absl::UnavailableError(absl::StrCat("read: ", std::strerror(errno)));
    if (r == 0) return absl::UnavailableError("end of stream");
    p += r, n -= static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status frame_write(int fd, const nlohmann::json& j) {
  return frame_write_raw(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

absl::Status frame_write_raw(int fd, const std::string& body) {
  if (body.size() > kMaxFrameBytes) return absl::InvalidArgumentError("frame too large");
  unsigned char len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<unsigned char>(body.size() >> (8 * i));
  std::string buf(reinterpret_cast<char*>(len), 4);
  buf += body;
  return write_all(fd, buf.data(), buf.size());
}

absl::StatusOr<nlohmann::json> frame_read(int fd, int timeout_ms) {
  absl::StatusOr<std::string> body = frame_read_raw(fd, timeout_ms);
  if (!body.ok()) return body.status();
  if (!json_depth_ok(*body)) return absl::DataLossError("frame nests deeper than JSON from a plugin may");
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded()) return absl::DataLossError("frame is not JSON: garbage on the channel");
  return j;
}

absl::StatusOr<std::string> frame_read_raw(int fd, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, timeout_ms));
  unsigned char len[4];
  absl::Status st = read_all(fd, reinterpret_cast<char*>(len), 4, deadline, timeout_ms < 0);
  if (!st.ok()) return st;
  const size_t n = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<size_t>(len[3]) << 24);
  if (n > kMaxFrameBytes)
    return absl::DataLossError(absl::StrCat("frame of ", n, " bytes: garbage on the channel"));
  std::string body(n, '\0');
  st = read_all(fd, body.data(), n, deadline, timeout_ms < 0);
  if (!st.ok()) return st;
  return body;
}

namespace {
void put_u32(std::string* s, size_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
bool get_u32(const std::string& s, size_t* at, size_t* v) {
  if (*at + 4 > s.size()) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) *v |= static_cast<size_t>(static_cast<unsigned char>(s[*at + i])) << (8 * i);
  *at += 4;
  return true;
}
}  // namespace

std::string frame_pack_items(const std::vector<PackedItem>& items) {
  size_t total = 4;
  for (const PackedItem& it : items)
    total += 16 + it.prompt.size() + it.completion.size() + it.answer.size() + it.metadata.size();
  std::string s;
  s.reserve(total);
  put_u32(&s, items.size());
  for (const PackedItem& it : items) {
    for (const std::string* f : {&it.prompt, &it.completion, &it.answer, &it.metadata}) {
      put_u32(&s, f->size());
      s += *f;
    }
  }
  return s;
}

absl::StatusOr<std::vector<PackedItem>> frame_unpack_items(const std::string& body) {
  size_t at = 0, n = 0;
  if (!get_u32(body, &at, &n) || n > body.size()) return absl::DataLossError("bad item frame: count");
  std::vector<PackedItem> items(n);
  for (PackedItem& it : items) {
    for (std::string* f : {&it.prompt, &it.completion, &it.answer, &it.metadata}) {
      size_t len = 0;
      if (!get_u32(body, &at, &len) || at + len > body.size())
        return absl::DataLossError("bad item frame: string");
      f->assign(body, at, len);
      at += len;
    }
  }
  if (at != body.size()) return absl::DataLossError("bad item frame: trailing bytes");
  return items;
}

}  // namespace ascent
