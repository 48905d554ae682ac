// The learner's gRPC adapter of weight_transfer.h (proto/weights.proto): WeightServer serves a
// WeightPublisher; the actor's side is weight_client.h. Status codes cross the edge unchanged (NOT_FOUND:
// version gone; OUT_OF_RANGE: bad index; UNAVAILABLE: nothing published / server down).
#pragma once

#include <memory>
#include <string>

#include "transport/auth.h"
#include "transport/weight_transfer.h"

namespace ascent {

class WeightServer {
 public:
  // Listens on address ("127.0.0.1:0" picks a port; see port()). `corrupt_first` (tests): flips a byte of
  // the data of bucket index corrupt_first the first time it is served.
  // Every call needs an actor's credentials (transport/auth.h); port() is 0 when it could not listen
  // (error() says why).
  WeightServer(const WeightPublisher* publisher, const std::string& address, const ServerSecurity& security,
               int64_t corrupt_first = -1);
  ~WeightServer();
  int port() const { return port_; }
  const absl::Status& error() const { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  absl::Status error_;
};

}  // namespace ascent
