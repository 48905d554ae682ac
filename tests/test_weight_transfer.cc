// Versioned weights in checksummed buckets over real gRPC on loopback (transport/weight_transfer.h,
// weight_server.h, weight_client.h): bf16 and fp32 round trips, a corrupted bucket rejected and fetched
// again, a version that changes mid-transfer.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "core/rng.h"
#include "model/dtype.h"
#include "test_credentials.h"
#include "transport/weight_client.h"
#include "transport/weight_server.h"

namespace ascent {

namespace {

std::vector<float> random_params(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> p(static_cast<size_t>(n));
  for (float& x : p) x = static_cast<float>(rng.next_normal());
  return p;
}

TEST(WeightTransfer, Bf16AndFp32RoundTripsOverGrpc) {
  const int64_t n = 100003;  // not a multiple of the bucket
  const std::vector<float> src = random_params(n, 1);
  for (WireDType dt : {WireDType::kBF16, WireDType::kF32}) {
    WeightPublisher pub(/*bucket_bytes=*/16384, dt);
    pub.publish(7, src.data(), n);
    TestAuth auth;
    WeightServer server(&pub, "127.0.0.1:0", auth.security());
    ASSERT_GT(server.port(), 0);
    WeightClient client("127.0.0.1:" + std::to_string(server.port()), test_credentials("a"));
    absl::StatusOr<WeightManifest> m = client.manifest();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->version, 7);
    EXPECT_EQ(m->buckets, (n * (dt == WireDType::kF32 ? 4 : 2) + 16383) / 16384);
    std::vector<float> dst(static_cast<size_t>(n), NAN);
    ReceiveStats st;
    absl::Status rs = weights_receive(
        *m, [&](int64_t v, int64_t i) { return client.bucket(v, i); }, dst.data(), n, 3, &st);
    ASSERT_TRUE(rs.ok()) << rs;
    EXPECT_EQ(st.rejected, 0);
    for (int64_t i = 0; i < n; ++i) {
      const float want = dt == WireDType::kF32 ? src[i] : bf16_to_f32(f32_to_bf16(src[i]));
      ASSERT_EQ(dst[i], want) << i;
    }
  }
}

TEST(WeightTransfer, ABucketWithABadChecksumIsRejectedAndFetchedAgain) {
  const int64_t n = 50000;
  const std::vector<float> src = random_params(n, 2);
  WeightPublisher pub(8192, WireDType::kBF16);
  pub.publish(3, src.data(), n);
  TestAuth auth;
  WeightServer server(&pub, "127.0.0.1:0", auth.security(), /*corrupt_first=*/4);
  WeightClient client("127.0.0.1:" + std::to_string(server.port()), test_credentials("a"));
  absl::StatusOr<WeightManifest> m = client.manifest();
  ASSERT_TRUE(m.ok());
  std::vector<float> dst(static_cast<size_t>(n));
  ReceiveStats st;
  ASSERT_TRUE(weights_receive(
                  *m, [&](int64_t v, int64_t i) { return client.bucket(v, i); }, dst.data(), n, 3, &st)
                  .ok());
  EXPECT_EQ(st.rejected, 1);
  EXPECT_EQ(st.buckets, m->buckets);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(dst[i], bf16_to_f32(f32_to_bf16(src[i]))) << i;
  // With no retry allowed, the corruption is an error naming the bucket.
  WeightServer bad(&pub, "127.0.0.1:0", auth.security(), 2);
  WeightClient c2("127.0.0.1:" + std::to_string(bad.port()), test_credentials("a"));
  absl::Status e = weights_receive(
      *m, [&](int64_t v, int64_t i) { return c2.bucket(v, i); }, dst.data(), n, 0);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.message().find("bucket 2 checksum mismatch"), std::string::npos) << e;
}

// Headers built to overflow a signed bounds check (offset + numel past INT64_MAX, numel * 4 wrapping to the
// data's size), each with a valid CRC: every one is rejected and nothing outside the parameters is written.
TEST(WeightTransfer, HostileBucketHeadersNeverWriteOutsideTheParameters) {
  const int64_t n = 64;
  struct Header {
    const char* what;
    int64_t offset, numel;
    size_t bytes;
  };
  const int64_t big = int64_t{1} << 62;
  const Header cases[] = {
      {"offset near 2^62", big - 4, 8, 32},
      {"offset + numel wraps negative", big + (big - 1), big, 0},
      {"numel 2^62 whose bytes wrap to 0", 0, big, 0},
      {"negative numel", 8, -8, 0},
      {"negative offset", -8, 8, 32},
      {"one past the end", n - 7, 8, 32},
  };
  for (const Header& h : cases) {
    std::vector<float> guarded(static_cast<size_t>(3 * n), 7.0f);  // [guard][params][guard]
    float* params = guarded.data() + n;
    WeightManifest m;
    m.version = 1, m.buckets = 1, m.numel = n, m.dtype = WireDType::kF32;
    auto fetch = [&](int64_t, int64_t) -> absl::StatusOr<WeightBucket> {
      WeightBucket b;
      b.version = 1, b.index = 0, b.offset = h.offset, b.numel = h.numel, b.dtype = WireDType::kF32;
      b.data.assign(h.bytes, '\x01');
      b.crc32 = weights_crc32(b.data);
      return b;
    };
    ReceiveStats st;
    absl::Status rs = weights_receive(m, fetch, params, n, 1, &st);
    ASSERT_FALSE(rs.ok()) << h.what;
    EXPECT_NE(rs.message().find("does not match the manifest"), std::string::npos) << h.what << ": " << rs;
    EXPECT_EQ(st.rejected, 2) << h.what;
    for (float x : guarded) ASSERT_EQ(x, 7.0f) << h.what << ": a write outside the checked range";
  }
}

TEST(WeightTransfer, ANewVersionMidTransferIsNotFoundAndNothingBeforePublication) {
  const int64_t n = 30000;
  const std::vector<float> src = random_params(n, 3);
  WeightPublisher pub(4096, WireDType::kF32);
  TestAuth auth;
  WeightServer server(&pub, "127.0.0.1:0", auth.security());
  WeightClient client("127.0.0.1:" + std::to_string(server.port()), test_credentials("a"));
  absl::StatusOr<WeightManifest> none = client.manifest();
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  pub.publish(1, src.data(), n);
  absl::StatusOr<WeightManifest> m = client.manifest();
  ASSERT_TRUE(m.ok());
  std::vector<float> dst(static_cast<size_t>(n));
  std::atomic<int> calls{0};  // fetch runs on several threads (weights_receive's workers)
  absl::Status s = weights_receive(
      *m,
      [&](int64_t v, int64_t i) {
        if (++calls == 3) pub.publish(2, src.data(), n);  // the learner moves on
        return client.bucket(v, i);
      },
      dst.data(), n);
  ASSERT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_NE(s.message().find("version 1 is gone"), std::string::npos) << s;
  EXPECT_TRUE(absl::IsOutOfRange(client.bucket(2, 999).status()));
  // A model of another size is refused before any transfer.
  EXPECT_FALSE(
      weights_receive(
          *client.manifest(), [&](int64_t v, int64_t i) { return client.bucket(v, i); }, dst.data(), n - 1)
          .ok());
}

}  // namespace

}  // namespace ascent
