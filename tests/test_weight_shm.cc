// Same-host weights through shared memory (transport/weight_shm.h): a publisher with a shm directory puts
// the snapshot in a file the manifest names (over real gRPC), a reader maps it and receives exactly what
// the gRPC path gives; a replaced version's file is gone; a file that does not match the manifest, a wrong
// nonce, a foreign path, a truncated or corrupted file are refused or caught (the caller falls back to
// gRPC), never written past the parameters; a full directory leaves that version in the heap with a reason
// and the next version tries again; files of dead learners (no lock held) are removed, a live one's kept.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/rng.h"
#include "model/dtype.h"
#include "test_credentials.h"
#include "transport/weight_client.h"
#include "transport/weight_server.h"
#include "transport/weight_shm.h"

namespace ascent {

namespace {

namespace fs = std::filesystem;

std::vector<float> random_params(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> p(static_cast<size_t>(n));
  for (float& x : p) x = static_cast<float>(rng.next_normal());
  return p;
}

struct TempDir {
  TempDir() {
    char t[] = "/tmp/ascent-shm-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

int files_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.path().filename().string().rfind("ascent-weights-", 0) == 0;
  return n;
}

absl::Status receive_shm(const WeightManifest& m, const std::string& dir, float* dst, int64_t n,
                         ReceiveStats* st = nullptr) {
  absl::StatusOr<std::unique_ptr<WeightShmReader>> r = WeightShmReader::open(m, dir);
  if (!r.ok()) return r.status();
  return weights_receive(
      m, [&](int64_t v, int64_t i) { return (*r)->bucket(v, i); }, dst, n, 0, st);
}

TEST(WeightShm, TheManifestNamesAFileThatGivesWhatGrpcGives) {
  TempDir dir;
  const int64_t n = 100003;  // not a multiple of the bucket
  const std::vector<float> src = random_params(n, 1);
  for (WireDType dt : {WireDType::kBF16, WireDType::kF32}) {
    WeightPublisher pub(/*bucket_bytes=*/16384, dt, dir.path);
    pub.publish(7, src.data(), n);
    EXPECT_EQ(pub.shm_error(), "");
    TestAuth auth;
    WeightServer server(&pub, "127.0.0.1:0", auth.security());
    WeightClient client("127.0.0.1:" + std::to_string(server.port()), test_credentials("a"));
    absl::StatusOr<WeightManifest> m = client.manifest();
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->shm_path.rfind(dir.path + "/ascent-weights-", 0), 0u) << m->shm_path;
    struct stat sb {};
    ASSERT_EQ(stat(m->shm_path.c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 0777, 0600u) << "only the run's user may read the weights";
    std::vector<float> by_shm(static_cast<size_t>(n), NAN), by_grpc(static_cast<size_t>(n), NAN);
    ReceiveStats st;
    ASSERT_TRUE(receive_shm(*m, dir.path, by_shm.data(), n, &st).ok());
    EXPECT_EQ(st.buckets, m->buckets);
    ASSERT_TRUE(weights_receive(
                    *m, [&](int64_t v, int64_t i) { return client.bucket(v, i); }, by_grpc.data(), n)
                    .ok());
    for (int64_t i = 0; i < n; ++i) {
      const float want = dt == WireDType::kF32 ? src[i] : bf16_to_f32(f32_to_bf16(src[i]));
      ASSERT_EQ(by_shm[i], want) << i;
      ASSERT_EQ(by_grpc[i], want) << i;
    }
    // A new version replaces the file: the old one is removed, the old manifest no longer opens.
    pub.publish(8, src.data(), n);
    EXPECT_FALSE(fs::exists(m->shm_path));
    EXPECT_EQ(files_in(dir.path), 1);
    EXPECT_FALSE(WeightShmReader::open(*m, dir.path).ok());
  }
  EXPECT_EQ(files_in(dir.path), 0) << "the publisher removes its file when it goes";
}

TEST(WeightShm, AFileThatDoesNotMatchTheManifestIsRefused) {
  TempDir dir;
  const int64_t n = 5000;
  const std::vector<float> src = random_params(n, 2);
  WeightPublisher pub(4096, WireDType::kBF16, dir.path);
  pub.publish(3, src.data(), n);
  const WeightManifest m = *pub.manifest();
  std::vector<float> dst(static_cast<size_t>(n), NAN);
  WeightManifest bad = m;
  bad.shm_nonce ^= 1;  // a file left by another learner that reused the name
  EXPECT_EQ(WeightShmReader::open(bad, dir.path).status().code(), absl::StatusCode::kFailedPrecondition);
  bad = m;
  bad.version = 4;
  EXPECT_FALSE(WeightShmReader::open(bad, dir.path).ok());
  bad = m;
  bad.numel = n + 1;
  EXPECT_FALSE(WeightShmReader::open(bad, dir.path).ok());
  // Only a weights file directly in the directory: not another file, not one elsewhere (even a real one).
  TempDir other;
  const std::string elsewhere = other.path + "/" + fs::path(m.shm_path).filename().string();
  fs::copy_file(m.shm_path, elsewhere);
  for (const std::string& path : {std::string("/etc/passwd"), dir.path + "/../etc/ascent-weights-1.bin",
                                  dir.path + "/sub/ascent-weights-1.bin", std::string("ascent-weights-1.bin"),
                                  dir.path + "/other.bin", elsewhere}) {
    bad = m;
    bad.shm_path = path;
    EXPECT_EQ(WeightShmReader::open(bad, dir.path).status().code(), absl::StatusCode::kInvalidArgument)
        << path;
  }
  bad = m;
  bad.shm_path = elsewhere;
  EXPECT_TRUE(WeightShmReader::open(bad, other.path).ok()) << "the control: that file itself is fine";
  // A FIFO in the file's place neither blocks the reader nor is taken for weights.
  const std::string fifo = dir.path + "/ascent-weights-1-fifo.bin";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  bad = m;
  bad.shm_path = fifo;
  EXPECT_EQ(WeightShmReader::open(bad, dir.path).status().code(), absl::StatusCode::kPermissionDenied);
  // Another user's (or a group-writable) file is not trusted.
  ASSERT_EQ(chmod(m.shm_path.c_str(), 0620), 0);
  EXPECT_EQ(WeightShmReader::open(m, dir.path).status().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_EQ(chmod(m.shm_path.c_str(), 0600), 0);
  ASSERT_TRUE(receive_shm(m, dir.path, dst.data(), n).ok());
}

TEST(WeightShm, ACorruptedOrTruncatedFileIsCaughtNotWrittenThrough) {
  TempDir dir;
  const int64_t n = 5000;
  const std::vector<float> src = random_params(n, 3);
  WeightPublisher pub(4096, WireDType::kBF16, dir.path);
  pub.publish(1, src.data(), n);
  const WeightManifest m = *pub.manifest();
  const int64_t size = static_cast<int64_t>(fs::file_size(m.shm_path));
  const int64_t data_offset = shm_data_offset(m.buckets);
  auto poke = [&](int64_t at, const void* bytes, size_t len) {
    const int fd = ::open(m.shm_path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, bytes, len, at), static_cast<ssize_t>(len));
    ::close(fd);
  };
  std::vector<float> dst(static_cast<size_t>(n + 64), 7.0f);
  // A flipped data byte: the bucket's CRC-32 catches it.
  const char x = 0x5a;
  char was = 0;
  {
    std::ifstream f(m.shm_path, std::ios::binary);
    f.seekg(data_offset + 100);
    f.read(&was, 1);
  }
  const char flipped = static_cast<char>(was ^ x);
  poke(data_offset + 100, &flipped, 1);
  EXPECT_EQ(receive_shm(m, dir.path, dst.data(), n).code(), absl::StatusCode::kDataLoss);
  poke(data_offset + 100, &was, 1);
  // A bucket entry pointing past the parameters, or shifted by one inside them (the CRC covers the data
  // only): refused by the header check, nothing written.
  for (const int64_t offset : {n, int64_t{2048 + 1}}) {
    int64_t was_offset = 0;
    {
      std::ifstream f(m.shm_path, std::ios::binary);
      f.seekg(64 + 32);  // bucket 1's offset
      f.read(reinterpret_cast<char*>(&was_offset), 8);
    }
    poke(64 + 32, &offset, 8);
    absl::StatusOr<std::unique_ptr<WeightShmReader>> r = WeightShmReader::open(m, dir.path);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << offset;
    EXPECT_NE(r.status().message().find("bucket 1"), std::string::npos) << r.status();
    poke(64 + 32, &was_offset, 8);
  }
  ASSERT_TRUE(receive_shm(m, dir.path, dst.data(), n).ok()) << "the control: restored, it reads";
  for (int64_t i = n; i < n + 64; ++i) ASSERT_EQ(dst[static_cast<size_t>(i)], 7.0f) << "written past the end";
  // A bucket entry pointing past the file, and a bad magic: the header check refuses them.
  const int64_t past = size, zero = 0;
  poke(64 + 16, &past, 8);  // bucket 0's byte_offset
  EXPECT_EQ(WeightShmReader::open(m, dir.path).status().code(), absl::StatusCode::kDataLoss);
  poke(64 + 16, &zero, 8);
  poke(0, "XXXX", 4);
  EXPECT_EQ(WeightShmReader::open(m, dir.path).status().code(), absl::StatusCode::kDataLoss);
  poke(0, "ASCW", 4);
  ASSERT_TRUE(WeightShmReader::open(m, dir.path).ok()) << "the control: the magic restored";
  // Cut short: the header's bucket count no longer fits in the file.
  ASSERT_EQ(truncate(m.shm_path.c_str(), 70), 0);
  absl::StatusOr<std::unique_ptr<WeightShmReader>> cut = WeightShmReader::open(m, dir.path);
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(cut.status().message().find("bucket count"), std::string::npos) << cut.status();
}

TEST(WeightShm, ADirectoryThatCannotHoldTheFileLeavesTheSnapshotInTheHeap) {
  WeightPublisher pub(4096, WireDType::kBF16, "/nonexistent-ascent-dir");
  const std::vector<float> src = random_params(1000, 4);
  pub.publish(1, src.data(), 1000);
  EXPECT_NE(pub.shm_error().find("/nonexistent-ascent-dir"), std::string::npos) << pub.shm_error();
  absl::StatusOr<WeightManifest> m = pub.manifest();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->shm_path, "");
  std::vector<float> dst(1000, NAN);
  ASSERT_TRUE(weights_receive(
                  *m, [&](int64_t v, int64_t i) { return pub.bucket(v, i); }, dst.data(), 1000)
                  .ok());
  EXPECT_EQ(dst[999], bf16_to_f32(f32_to_bf16(src[999])));
}

TEST(WeightShm, AFullDirectoryKeepsOneVersionInTheHeapAndTheNextOneTriesAgain) {
  TempDir dir;
  // A file-size limit makes posix_fallocate fail (EFBIG) as a full /dev/shm would (ENOSPC).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const int64_t n = 100000;
  const std::vector<float> src = random_params(n, 6);
  WeightPublisher pub(4096, WireDType::kBF16, dir.path);
  pub.publish(1, src.data(), n);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_NE(pub.shm_error().find("cannot reserve"), std::string::npos) << pub.shm_error();
  EXPECT_EQ(pub.manifest()->shm_path, "");
  EXPECT_EQ(files_in(dir.path), 0) << "the file that could not be reserved is removed";
  std::vector<float> dst(static_cast<size_t>(n), NAN);
  ASSERT_TRUE(weights_receive(
                  *pub.manifest(), [&](int64_t v, int64_t i) { return pub.bucket(v, i); }, dst.data(), n)
                  .ok());
  pub.publish(2, src.data(), n);  // room again
  EXPECT_EQ(pub.shm_error(), "");
  EXPECT_NE(pub.manifest()->shm_path, "");
  ASSERT_TRUE(receive_shm(*pub.manifest(), dir.path, dst.data(), n).ok());
}

TEST(WeightShm, FilesOfDeadLearnersAreRemovedAtStart) {
  TempDir dir;
  // A learner alive holds its file's lock; a crashed one left a file nobody locks.
  WeightPublisher alive(4096, WireDType::kBF16, dir.path);
  const std::vector<float> src = random_params(1000, 5);
  alive.publish(1, src.data(), 1000);
  const std::string alive_file = alive.manifest()->shm_path;
  const std::string dead = dir.path + "/ascent-weights-99999-00000000000000aa.bin";
  std::ofstream(dead) << "x";
  std::ofstream(dir.path + "/unrelated.bin") << "x";
  WeightPublisher next(4096, WireDType::kBF16, dir.path);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive_file)) << "a live learner's file stays";
  EXPECT_TRUE(fs::exists(dir.path + "/unrelated.bin"));
}

}  // namespace

}  // namespace ascent
