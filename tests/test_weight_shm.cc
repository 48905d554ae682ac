// Same-host weights through shared memory (transport/weight_shm.h): a publisher with a shm directory puts
// the snapshot in a file the manifest names (over real gRPC), a reader maps it and receives exactly what
// the gRPC path gives; a replaced version's file is gone; a file that does not match the manifest, a wrong
// nonce, a foreign path, a truncated or corrupted file are refused or caught (the caller falls back to
// gRPC), never written past the parameters; a full directory leaves the publisher on the heap with a reason.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
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

absl::Status receive_shm(const WeightManifest& m, float* dst, int64_t n, ReceiveStats* st = nullptr) {
  absl::StatusOr<std::unique_ptr<WeightShmReader>> r = WeightShmReader::open(m);
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
    ASSERT_TRUE(receive_shm(*m, by_shm.data(), n, &st).ok());
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
    EXPECT_FALSE(WeightShmReader::open(*m).ok());
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
  EXPECT_EQ(WeightShmReader::open(bad).status().code(), absl::StatusCode::kFailedPrecondition);
  bad = m;
  bad.version = 4;
  EXPECT_FALSE(WeightShmReader::open(bad).ok());
  bad = m;
  bad.numel = n + 1;
  EXPECT_FALSE(WeightShmReader::open(bad).ok());
  for (const char* path : {"/etc/passwd", "/dev/shm/../etc/ascent-weights-1.bin", "ascent-weights-1.bin",
                           "/tmp/nothing/ascent-weights-1-0.bin"}) {
    bad = m;
    bad.shm_path = path;
    EXPECT_FALSE(WeightShmReader::open(bad).ok()) << path;
  }
  // Another user's (or a group-writable) file is not trusted.
  ASSERT_EQ(chmod(m.shm_path.c_str(), 0620), 0);
  EXPECT_EQ(WeightShmReader::open(m).status().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_EQ(chmod(m.shm_path.c_str(), 0600), 0);
  ASSERT_TRUE(receive_shm(m, dst.data(), n).ok());
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
  EXPECT_EQ(receive_shm(m, dst.data(), n).code(), absl::StatusCode::kDataLoss);
  poke(data_offset + 100, &was, 1);
  // A bucket entry pointing past the parameters: refused by weights_receive's bounds.
  const int64_t huge = n;
  poke(64 + 0, &huge, 8);  // bucket 0's offset
  EXPECT_FALSE(receive_shm(m, dst.data(), n).ok());
  for (int64_t i = n; i < n + 64; ++i) ASSERT_EQ(dst[static_cast<size_t>(i)], 7.0f) << "written past the end";
  // A bucket entry pointing past the file, and a bad magic: the header check refuses them.
  const int64_t past = size;
  poke(64 + 16, &past, 8);  // bucket 0's byte_offset
  EXPECT_EQ(WeightShmReader::open(m).status().code(), absl::StatusCode::kDataLoss);
  poke(0, "XXXX", 4);
  EXPECT_EQ(WeightShmReader::open(m).status().code(), absl::StatusCode::kDataLoss);
  // Cut short: the header's counts no longer fit.
  ASSERT_EQ(truncate(m.shm_path.c_str(), 70), 0);
  EXPECT_FALSE(WeightShmReader::open(m).ok());
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

TEST(WeightShm, FilesOfDeadLearnersAreRemovedAtStart) {
  TempDir dir;
  // A pid that is not alive: a child that has exited and been reaped.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  const std::string dead = dir.path + "/ascent-weights-" + std::to_string(child) + "-00000000000000aa.bin";
  const std::string alive =
      dir.path + "/ascent-weights-" + std::to_string(getpid()) + "-00000000000000bb.bin";
  std::ofstream(dead) << "x";
  std::ofstream(alive) << "x";
  std::ofstream(dir.path + "/unrelated.bin") << "x";
  WeightPublisher pub(4096, WireDType::kBF16, dir.path);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(dir.path + "/unrelated.bin"));
}

}  // namespace

}  // namespace ascent
