#include "transport/weight_transfer.h"

#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "model/dtype.h"

namespace ascent {

uint32_t weights_crc32(const std::string& data) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large buckets in pieces.
  for (size_t at = 0; at < data.size(); at += 1u << 30) {
    const size_t n = std::min<size_t>(1u << 30, data.size() - at);
    c = crc32(c, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(c);
}

WeightPublisher::WeightPublisher(int64_t bucket_bytes, WireDType dtype)
    : bucket_bytes_(bucket_bytes), dtype_(dtype) {}

void WeightPublisher::publish(int64_t version, const float* params, int64_t numel) {
  const int64_t elem = dtype_ == WireDType::kF32 ? 4 : 2;
  const int64_t per = std::max<int64_t>(1, bucket_bytes_ / elem);
  std::vector<WeightBucket> buckets;
  for (int64_t off = 0, idx = 0; off < numel; off += per, ++idx) {
    WeightBucket b;
    b.version = version, b.index = idx, b.offset = off, b.numel = std::min(per, numel - off),
    b.dtype = dtype_;
    b.data.resize(static_cast<size_t>(b.numel * elem));
    if (dtype_ == WireDType::kF32) {
      std::memcpy(b.data.data(), params + off, b.data.size());
    } else {
      auto* out = reinterpret_cast<uint16_t*>(b.data.data());
      for (int64_t i = 0; i < b.numel; ++i) out[i] = f32_to_bf16(params[off + i]);
    }
    b.crc32 = weights_crc32(b.data);
    buckets.push_back(std::move(b));
  }
  absl::MutexLock lock(&mu_);
  buckets_ = std::move(buckets);
  manifest_ = {version, static_cast<int64_t>(buckets_.size()), numel, dtype_};
}

int64_t WeightPublisher::published_bytes() const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const WeightBucket& b : buckets_) n += static_cast<int64_t>(b.data.size());
  return n;
}

absl::StatusOr<WeightManifest> WeightPublisher::manifest() const {
  absl::MutexLock lock(&mu_);
  if (manifest_.version < 0) return absl::UnavailableError("no weights published yet");
  return manifest_;
}

absl::StatusOr<WeightBucket> WeightPublisher::bucket(int64_t version, int64_t index) const {
  absl::MutexLock lock(&mu_);
  if (version != manifest_.version) {
    return absl::NotFoundError(
        absl::StrCat("weights version ", version, " is gone; the published version is ", manifest_.version));
  }
  if (index < 0 || index >= static_cast<int64_t>(buckets_.size())) {
    return absl::OutOfRangeError(absl::StrCat("bucket ", index, " of ", buckets_.size()));
  }
  return buckets_[static_cast<size_t>(index)];
}

absl::Status weights_receive(const WeightManifest& m, const BucketFetch& fetch, float* params, int64_t numel,
                             int retries, ReceiveStats* stats) {
  if (m.numel != numel) {
    return absl::InvalidArgumentError(
        absl::StrCat("the learner publishes ", m.numel, " parameters, this model has ", numel));
  }
  ReceiveStats local;
  ReceiveStats& st = stats ? *stats : local;
  for (int64_t idx = 0; idx < m.buckets; ++idx) {
    std::string why;
    bool ok = false;
    for (int attempt = 0; attempt <= retries && !ok; ++attempt) {
      absl::StatusOr<WeightBucket> b = fetch(m.version, idx);
      if (!b.ok()) {
        if (absl::IsNotFound(b.status())) return b.status();  // a new version: start over
        why = std::string(b.status().message());
        continue;
      }
      const int64_t elem = b->dtype == WireDType::kF32 ? 4 : 2;
      // Overflow-safe: each bound is checked before any sum or product of the bucket's own numbers.
      const bool in_range =
          b->numel >= 0 && b->numel <= numel && b->offset >= 0 && b->offset <= numel - b->numel;
      if (b->version != m.version || b->index != idx || b->dtype != m.dtype || !in_range ||
          static_cast<int64_t>(b->data.size()) != b->numel * elem) {
        why = "bucket header does not match the manifest";
        ++st.rejected;
        continue;
      }
      if (weights_crc32(b->data) != b->crc32) {
        why = absl::StrCat("bucket ", idx, " checksum mismatch");
        ++st.rejected;
        continue;
      }
      if (b->dtype == WireDType::kF32) {
        std::memcpy(params + b->offset, b->data.data(), b->data.size());
      } else {
        const auto* in = reinterpret_cast<const uint16_t*>(b->data.data());
        for (int64_t i = 0; i < b->numel; ++i) params[b->offset + i] = bf16_to_f32(in[i]);
      }
      st.bytes += static_cast<int64_t>(b->data.size());
      ++st.buckets;
      ok = true;
    }
    if (!ok)
      return absl::DataLossError(absl::StrCat("weights version ", m.version, ": bucket ", idx, ": ", why,
                                              " after ", retries + 1, " tries"));
  }
  return absl::OkStatus();
}

}  // namespace ascent
