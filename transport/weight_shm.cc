#include "transport/weight_shm.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ascent {

namespace {

constexpr char kMagic[8] = {'A', 'S', 'C', 'W', 'G', 'T', '0', '1'};
constexpr int64_t kHeaderBytes = 64, kEntryBytes = 32, kPage = 4096;
constexpr char kPrefix[] = "ascent-weights-";

template <typename T>
void put(char* at, int64_t off, T v) {
  std::memcpy(at + off, &v, sizeof v);
}
template <typename T>
T get(const char* at, int64_t off) {
  T v;
  std::memcpy(&v, at + off, sizeof v);
  return v;
}

absl::Status errno_error(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

int64_t shm_data_offset(int64_t buckets) {
  const int64_t header = kHeaderBytes + kEntryBytes * buckets;
  return (header + kPage - 1) / kPage * kPage;
}

void shm_write_header(const ShmHeader& h, char* at) {
  std::memcpy(at, kMagic, sizeof kMagic);
  put<int64_t>(at, 8, h.version);
  put<uint64_t>(at, 16, h.nonce);
  put<int64_t>(at, 24, h.numel);
  put<uint32_t>(at, 32, h.dtype);
  put<uint32_t>(at, 36, 0);
  put<int64_t>(at, 40, static_cast<int64_t>(h.buckets.size()));
  put<int64_t>(at, 48, h.data_offset);
  put<int64_t>(at, 56, 0);
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    const int64_t e = kHeaderBytes + kEntryBytes * static_cast<int64_t>(i);
    put<int64_t>(at, e, h.buckets[i].offset);
    put<int64_t>(at, e + 8, h.buckets[i].numel);
    put<int64_t>(at, e + 16, h.buckets[i].byte_offset);
    put<uint32_t>(at, e + 24, h.buckets[i].crc32);
    put<uint32_t>(at, e + 28, 0);
  }
}

absl::StatusOr<ShmHeader> shm_read_header(const char* at, int64_t size) {
  if (size < kHeaderBytes || std::memcmp(at, kMagic, sizeof kMagic) != 0)
    return absl::DataLossError("not a weights file (magic)");
  ShmHeader h;
  h.version = get<int64_t>(at, 8);
  h.nonce = get<uint64_t>(at, 16);
  h.numel = get<int64_t>(at, 24);
  h.dtype = get<uint32_t>(at, 32);
  const int64_t buckets = get<int64_t>(at, 40);
  h.data_offset = get<int64_t>(at, 48);
  // Overflow-safe: each count is bounded by the file's size before it is multiplied.
  if (buckets < 0 || buckets > (size - kHeaderBytes) / kEntryBytes)
    return absl::DataLossError(absl::StrCat("weights file: bucket count ", buckets));
  if (h.data_offset != shm_data_offset(buckets) || h.data_offset > size)
    return absl::DataLossError(absl::StrCat("weights file: data_offset ", h.data_offset));
  if (h.dtype > 1) return absl::DataLossError(absl::StrCat("weights file: dtype ", h.dtype));
  const int64_t elem = h.dtype == 0 ? 4 : 2;  // WireDType: kF32, kBF16
  const int64_t data_bytes = size - h.data_offset;
  for (int64_t i = 0; i < buckets; ++i) {
    const int64_t e = kHeaderBytes + kEntryBytes * i;
    ShmBucketEntry b{get<int64_t>(at, e), get<int64_t>(at, e + 8), get<int64_t>(at, e + 16),
                     get<uint32_t>(at, e + 24)};
    if (b.numel < 0 || b.numel > data_bytes / elem || b.byte_offset < 0 ||
        b.byte_offset > data_bytes - b.numel * elem || b.offset < 0)
      return absl::DataLossError(absl::StrCat("weights file: bucket ", i, " out of the file"));
    // The buckets tile the parameters in order, each at its own place in the data: a header that shifts
    // or overlaps them (the CRC covers the data only) is refused.
    const ShmBucketEntry want{i == 0 ? 0 : h.buckets.back().offset + h.buckets.back().numel, b.numel,
                              i == 0 ? 0 : h.buckets.back().byte_offset + h.buckets.back().numel * elem, 0};
    if (b.offset != want.offset || b.byte_offset != want.byte_offset)
      return absl::DataLossError(
          absl::StrCat("weights file: bucket ", i, " is not where the previous one ends"));
    h.buckets.push_back(b);
  }
  return h;
}

absl::StatusOr<std::unique_ptr<ShmRegion>> ShmRegion::create(const std::string& dir, uint64_t nonce,
                                                             int64_t bytes) {
  std::unique_ptr<ShmRegion> r(new ShmRegion());
  r->path_ = absl::StrFormat("%s/%s%d-%016" PRIx64 ".bin", dir, kPrefix, static_cast<int>(getpid()), nonce);
  const int fd = ::open(r->path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_error(absl::StrCat("cannot create ", r->path_));
  r->owner_ = true;  // from here on the destructor removes the file
  r->lock_fd_ = fd;  // closed by the destructor
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) return errno_error(absl::StrCat("cannot lock ", r->path_));
  if (const int e = posix_fallocate(fd, 0, bytes); e != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot reserve ", bytes, " bytes in ", r->path_, ": ", std::strerror(e)));
  }
  void* p = mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return errno_error(absl::StrCat("cannot map ", r->path_));
  r->data_ = static_cast<char*>(p);
  r->size_ = bytes;
  return r;
}

absl::StatusOr<std::unique_ptr<ShmRegion>> ShmRegion::open(const std::string& path, const std::string& dir) {
  if (!shm_path_valid(path, dir))
    return absl::InvalidArgumentError(absl::StrCat("not a weights file in ", dir, ": ", path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return errno_error(absl::StrCat("cannot open ", path));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
      st.st_size < kHeaderBytes) {
    ::close(fd);
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": not a regular file of this user that only it can write"));
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return errno_error(absl::StrCat("cannot map ", path));
  std::unique_ptr<ShmRegion> r(new ShmRegion());
  r->data_ = static_cast<char*>(p);
  r->size_ = st.st_size;
  r->path_ = path;
  return r;
}

ShmRegion::~ShmRegion() {
  if (data_ != nullptr) munmap(data_, static_cast<size_t>(size_));
  unlink();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void ShmRegion::unlink() {
  if (owner_) ::unlink(path_.c_str());
  owner_ = false;
}

bool shm_path_valid(const std::string& path, const std::string& dir) {
  if (path.size() <= dir.size() + 1 || path.compare(0, dir.size(), dir) != 0 || path[dir.size()] != '/')
    return false;
  const std::string name = path.substr(dir.size() + 1);
  return name.find('/') == std::string::npos && absl::StartsWith(name, kPrefix) &&
         absl::EndsWith(name, ".bin");
}

int shm_remove_stale(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  int removed = 0;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!absl::StartsWith(name, kPrefix) || !absl::EndsWith(name, ".bin")) continue;
    const std::string path = dir + "/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat st {};
    // A learner alive holds its file's lock; a file whose lock can be taken is a crashed learner's.
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlink(path.c_str()) == 0)
      ++removed;
    ::close(fd);
  }
  closedir(d);
  return removed;
}

}  // namespace ascent
