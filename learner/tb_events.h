// TensorBoard event files written by us: Event protos (proto/tensorboard.proto, TensorFlow's field numbers)
// framed as TFRecords (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data), in
// events.out.tfevents.<time>.<host> under the run directory. Scalars only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace ascent {

// CRC-32C (Castagnoli), as TFRecord frames use it; crc32c("123456789") = 0xE3069283.
uint32_t crc32c(const void* data, size_t n);
uint32_t crc32c_masked(const void* data, size_t n);

class TbEventWriter {
 public:
  static absl::StatusOr<TbEventWriter> open(const std::string& dir);
  TbEventWriter(TbEventWriter&& o) noexcept : f_(o.f_), path_(std::move(o.path_)) { o.f_ = nullptr; }
  ~TbEventWriter();
  // DataLoss naming the file when a write fails (a full disk). Non-finite values are left out (TensorBoard
  // draws them as gaps anyway); metrics.jsonl records them as null.
  absl::Status scalars(int64_t step, const std::map<std::string, double>& values, double wall_time);
  // A resumed run starts at `step`: TensorBoard drops later points of earlier files (SessionLog START).
  void session_start(int64_t step, double wall_time);
  const std::string& path() const { return path_; }

 private:
  TbEventWriter(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  void record(const std::string& data);
  absl::Status flush();  // the write errors of every record since the last flush
  std::FILE* f_;
  std::string path_;
};

}  // namespace ascent
