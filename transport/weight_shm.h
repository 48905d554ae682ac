// Same-host weight transfer: the learner's published snapshot lives in a file on a memory file system
// (/dev/shm), and an actor on the same host maps that file instead of fetching the buckets over gRPC. The
// manifest names the file and a random nonce; an actor that cannot open it (another host, another user, the
// file gone) or finds a header that does not match the manifest falls back to gRPC. The bytes are the same
// buckets with the same CRC-32s, checked by weights_receive() (weight_transfer.h) either way.
//
// The file (little-endian):
//   [0, 64)          header: magic "ASCWGT01", version i64, nonce u64, numel i64, dtype u32, 0 u32,
//                    buckets i64, data_offset i64
//   [64, 64+32*B)    one entry per bucket: offset i64 (first parameter), numel i64, byte_offset i64 (into
//                    the data), crc32 u32, 0 u32
//   [data_offset, )  the buckets' wire bytes back to back (data_offset is a multiple of 4096)
// Files are named <dir>/ascent-weights-<learner pid>-<nonce>.bin, mode 0600 (only the run's user reads
// them). The learner holds an flock(2) on each of its files while it lives and removes a file's name as soon
// as a newer version replaces it (actors still reading keep their mapping); at start it removes the files
// nobody holds a lock on (learners that crashed), whatever pid namespace they came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ascent {

inline constexpr char kWeightShmDir[] = "/dev/shm";

struct ShmBucketEntry {
  int64_t offset = 0, numel = 0, byte_offset = 0;
  uint32_t crc32 = 0;
};

struct ShmHeader {
  int64_t version = 0;
  uint64_t nonce = 0;
  int64_t numel = 0;
  uint32_t dtype = 0;  // WireDType
  int64_t data_offset = 0;
  std::vector<ShmBucketEntry> buckets;
};

// Bytes before the data for `buckets` buckets (page aligned).
int64_t shm_data_offset(int64_t buckets);
// Writes h at `at` (shm_data_offset(h.buckets.size()) bytes).
void shm_write_header(const ShmHeader& h, char* at);
// Reads and checks a header from a file of `size` bytes: magic, counts and every bucket's bytes inside it.
// Errors: DATA_LOSS naming the field.
absl::StatusOr<ShmHeader> shm_read_header(const char* at, int64_t size);

// A mapped file. create(): a new file in dir (O_EXCL, 0600, locked with flock, its pages reserved with
// posix_fallocate so that a full file system is an error here and not a SIGBUS later), mapped read-write,
// its name removed by unlink() or when destroyed. open(): an existing file directly in `dir` named
// ascent-weights-*.bin, mapped read-only, refused unless it is a regular file of this user that no one else
// can write (O_NOFOLLOW | O_NONBLOCK: a link or a FIFO planted there neither redirects nor blocks it).
class ShmRegion {
 public:
  static absl::StatusOr<std::unique_ptr<ShmRegion>> create(const std::string& dir, uint64_t nonce,
                                                           int64_t bytes);
  static absl::StatusOr<std::unique_ptr<ShmRegion>> open(const std::string& path,
                                                         const std::string& dir = kWeightShmDir);
  void unlink();  // the creator: removes the file's name now (mappings stay valid)
  ~ShmRegion();
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  char* data() const { return data_; }
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  ShmRegion() = default;
  char* data_ = nullptr;
  int64_t size_ = 0;
  std::string path_;
  bool owner_ = false;  // unlinks the file when destroyed (unless unlink() did)
  int lock_fd_ = -1;    // the creator's open file, holding the flock
};

// Removes dir's ascent-weights-*.bin files of this user that no learner holds a lock on (a learner that
// crashed). Returns how many.
int shm_remove_stale(const std::string& dir);
// Whether `path` is a weights file's name directly in `dir`: <dir>/ascent-weights-*.bin, no other slash.
bool shm_path_valid(const std::string& path, const std::string& dir);

}  // namespace ascent
