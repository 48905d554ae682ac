#include "learner/learner_config.h"

#include <filesystem>

namespace ascent {

std::string learner_run_dir(const LearnerConfig& c) {
  return (std::filesystem::path(c.run.dir) / c.name).string();
}

}  // namespace ascent
