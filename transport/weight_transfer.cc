#include "transport/weight_transfer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "core/crc32.h"
#include "core/status.h"
#include "model/dtype.h"

namespace ascent {

uint32_t weights_crc32(const char* data, int64_t bytes) {
  return crc32_update(0, data, static_cast<size_t>(bytes));
}

uint32_t weights_crc32(const std::string& data) {
  return weights_crc32(data.data(), static_cast<int64_t>(data.size()));
}

struct WeightPublisher::Snapshot {
  WeightManifest manifest;
  std::vector<ShmBucketEntry> buckets;
  const char* data = nullptr;  // every bucket's wire bytes, back to back
  int64_t bytes = 0;
  std::vector<char> heap;             // holds data, or
  std::unique_ptr<ShmRegion> region;  // does (its name removed when replaced, its pages with the last holder)
};

WeightPublisher::WeightPublisher(int64_t bucket_bytes, WireDType dtype, std::string shm_dir)
    : bucket_bytes_(bucket_bytes), dtype_(dtype), shm_dir_(std::move(shm_dir)) {
  if (!shm_dir_.empty()) shm_remove_stale(shm_dir_);
}

WeightPublisher::~WeightPublisher() = default;

void WeightPublisher::publish(int64_t version, const float* params, int64_t numel) {
  const int64_t elem = dtype_ == WireDType::kF32 ? 4 : 2;
  const int64_t per = std::max<int64_t>(1, bucket_bytes_ / elem);
  auto snap = std::make_shared<Snapshot>();
  for (int64_t off = 0; off < numel; off += per)
    snap->buckets.push_back({off, std::min(per, numel - off), off * elem, 0});
  snap->bytes = numel * elem;
  const uint64_t nonce = absl::Uniform<uint64_t>(absl::BitGen());
  const int64_t data_offset = shm_data_offset(static_cast<int64_t>(snap->buckets.size()));
  char* out = nullptr;
  if (!shm_dir_.empty()) {
    absl::StatusOr<std::unique_ptr<ShmRegion>> r =
        ShmRegion::create(shm_dir_, nonce, data_offset + snap->bytes);
    if (r.ok()) {
      snap->region = std::move(*r);
      out = snap->region->data() + data_offset;
    } else {  // this version over gRPC only; the next publish tries again (the learner reports shm_error())
      absl::MutexLock lock(&mu_);
      shm_error_ = std::string(r.status().message());
    }
  }
  if (out == nullptr) {
    snap->heap.resize(static_cast<size_t>(snap->bytes));
    out = snap->heap.data();
  }
  for (ShmBucketEntry& b : snap->buckets) {
    char* at = out + b.byte_offset;
    if (dtype_ == WireDType::kF32) {
      std::memcpy(at, params + b.offset, static_cast<size_t>(b.numel * 4));
    } else {
      auto* o = reinterpret_cast<uint16_t*>(at);
      for (int64_t i = 0; i < b.numel; ++i) o[i] = f32_to_bf16(params[b.offset + i]);
    }
    b.crc32 = weights_crc32(at, b.numel * elem);
  }
  snap->data = out;
  snap->manifest = {version, static_cast<int64_t>(snap->buckets.size()), numel, dtype_, "", 0};
  if (snap->region) {
    shm_write_header({version, nonce, numel, static_cast<uint32_t>(dtype_), data_offset, snap->buckets},
                     snap->region->data());
    snap->manifest.shm_path = snap->region->path();
    snap->manifest.shm_nonce = nonce;
  }
  std::shared_ptr<const Snapshot> old;
  {
    absl::MutexLock lock(&mu_);
    if (snap->region) shm_error_.clear();
    old = std::move(snap_);  // released after the lock
    snap_ = std::move(snap);
  }
  // The replaced file's name goes now, even while a reply still sends from it: actors see the new manifest,
  // and /dev/shm holds one version's name (the memory of mappings still read is freed with the last one).
  if (old && old->region) old->region->unlink();
}

int64_t WeightPublisher::published_bytes() const {
  absl::MutexLock lock(&mu_);
  return snap_ ? snap_->bytes : 0;
}

std::string WeightPublisher::shm_error() const {
  absl::MutexLock lock(&mu_);
  return shm_error_;
}

absl::StatusOr<WeightManifest> WeightPublisher::manifest() const {
  absl::MutexLock lock(&mu_);
  if (!snap_) return absl::UnavailableError("no weights published yet");
  return snap_->manifest;
}

absl::StatusOr<WeightBucket> WeightPublisher::bucket(int64_t version, int64_t index) const {
  std::shared_ptr<const Snapshot> s;
  {
    absl::MutexLock lock(&mu_);
    s = snap_;
  }
  const int64_t published = s ? s->manifest.version : -1;
  if (version != published) {
    return absl::NotFoundError(
        absl::StrCat("weights version ", version, " is gone; the published version is ", published));
  }
  if (index < 0 || index >= static_cast<int64_t>(s->buckets.size())) {
    return absl::OutOfRangeError(absl::StrCat("bucket ", index, " of ", s->buckets.size()));
  }
  const ShmBucketEntry& e = s->buckets[static_cast<size_t>(index)];
  const int64_t elem = dtype_ == WireDType::kF32 ? 4 : 2;
  WeightBucket b;
  b.version = version, b.index = index, b.offset = e.offset, b.numel = e.numel, b.dtype = dtype_;
  b.view = std::string_view(s->data + e.byte_offset, static_cast<size_t>(e.numel * elem));
  b.keep = s;  // a newer version may replace the snapshot while this bucket is being sent
  b.crc32 = e.crc32;
  return b;
}

namespace {

// Bucket idx: fetched (again, up to `retries` times, while it does not match), checked and written.
absl::Status receive_bucket(const WeightManifest& m, const BucketFetch& fetch, float* params, int64_t numel,
                            int64_t idx, int retries, ReceiveStats& st) {
  std::string why;
  for (int attempt = 0; attempt <= retries; ++attempt) {
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
    const std::string_view bytes = b->bytes();
    if (b->version != m.version || b->index != idx || b->dtype != m.dtype || !in_range ||
        static_cast<int64_t>(bytes.size()) != b->numel * elem) {
      why = "bucket header does not match the manifest";
      ++st.rejected;
      continue;
    }
    if (weights_crc32(bytes.data(), static_cast<int64_t>(bytes.size())) != b->crc32) {
      why = absl::StrCat("bucket ", idx, " checksum mismatch");
      ++st.rejected;
      continue;
    }
    if (b->dtype == WireDType::kF32) {
      std::memcpy(params + b->offset, bytes.data(), bytes.size());
    } else {
      const auto* in = reinterpret_cast<const uint16_t*>(bytes.data());
      float* out = params + b->offset;
      for (int64_t i = 0; i < b->numel; ++i) out[i] = bf16_to_f32(in[i]);
    }
    st.bytes += static_cast<int64_t>(bytes.size());
    ++st.buckets;
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("weights version ", m.version, ": bucket ", idx, ": ", why,
                                          " after ", retries + 1, " tries"));
}

}  // namespace

absl::Status weights_receive(const WeightManifest& m, const BucketFetch& fetch, float* params, int64_t numel,
                             int retries, ReceiveStats* stats, int workers) {
  if (m.numel != numel) {
    return absl::InvalidArgumentError(
        absl::StrCat("the learner publishes ", m.numel, " parameters, this model has ", numel));
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  absl::Status first;
  ReceiveStats total;
  auto work = [&] {
    ReceiveStats local;
    absl::Status st;
    for (int64_t i = next++; i < m.buckets && !stop; i = next++) {
      st = receive_bucket(m, fetch, params, numel, i, retries, local);
      if (!st.ok()) {
        stop = true;
        break;
      }
    }
    absl::MutexLock lock(&mu);
    total.buckets += local.buckets, total.rejected += local.rejected, total.bytes += local.bytes;
    // A newer version (NOT_FOUND) outranks another worker's error: the caller starts over.
    if (!st.ok() && (first.ok() || absl::IsNotFound(st))) first = st;
  };
  const int64_t n_workers = std::clamp<int64_t>(workers, 1, std::max<int64_t>(1, m.buckets));
  std::vector<std::thread> pool;
  for (int64_t w = 1; w < n_workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (stats) {
    stats->buckets += total.buckets, stats->rejected += total.rejected, stats->bytes += total.bytes;
  }
  return first;
}

absl::StatusOr<std::unique_ptr<WeightShmReader>> WeightShmReader::open(const WeightManifest& m,
                                                                       const std::string& dir) {
  if (m.shm_path.empty()) return absl::UnavailableError("the learner publishes no shared-memory weights");
  ASCENT_ASSIGN_OR_RETURN(std::unique_ptr<ShmRegion> region, ShmRegion::open(m.shm_path, dir));
  ASCENT_ASSIGN_OR_RETURN(ShmHeader h, shm_read_header(region->data(), region->size()));
  if (h.version != m.version || h.nonce != m.shm_nonce || h.numel != m.numel ||
      h.dtype != static_cast<uint32_t>(m.dtype) || static_cast<int64_t>(h.buckets.size()) != m.buckets) {
    return absl::FailedPreconditionError(absl::StrCat(m.shm_path, " holds version ", h.version,
                                                      ", not the manifest's ", m.version,
                                                      " (or its nonce, size or dtype differ)"));
  }
  std::unique_ptr<WeightShmReader> r(new WeightShmReader());
  r->region_ = std::move(region);
  r->m_ = m;
  r->header_ = std::move(h);
  return r;
}

WeightShmReader::~WeightShmReader() = default;

absl::StatusOr<WeightBucket> WeightShmReader::bucket(int64_t version, int64_t index) const {
  if (version != m_.version)
    return absl::NotFoundError(absl::StrCat("weights version ", version, " is gone"));
  if (index < 0 || index >= static_cast<int64_t>(header_.buckets.size()))
    return absl::OutOfRangeError(absl::StrCat("bucket ", index, " of ", header_.buckets.size()));
  const ShmBucketEntry& e = header_.buckets[static_cast<size_t>(index)];
  const int64_t elem = m_.dtype == WireDType::kF32 ? 4 : 2;
  WeightBucket b;
  b.version = version, b.index = index, b.offset = e.offset, b.numel = e.numel, b.dtype = m_.dtype;
  b.view = std::string_view(region_->data() + header_.data_offset + e.byte_offset,
                            static_cast<size_t>(e.numel * elem));  // valid while this reader lives
  b.crc32 = e.crc32;
  return b;
}

}  // namespace ascent
