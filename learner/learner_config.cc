#include "learner/learner_config.h"

#include <filesystem>

namespace ascent {

std::string learner_run_dir(const LearnerConfig& c) {
  return (std::filesystem::path(c.run.dir) / c.name).string();
}

bool address_is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string address_host(const std::string& address) {
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace ascent
