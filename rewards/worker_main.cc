// ascent-reward-worker: the process a reward plugin runs in (see plugin_worker.h).
#include "rewards/plugin_worker.h"

using namespace ascent;  // NOLINT(google-build-using-namespace): a main() over the libraries

int main(int argc, char** argv) {
  return reward_worker_main(argc, argv);
}
