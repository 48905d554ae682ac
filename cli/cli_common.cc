#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "core/threads.h"
#ifdef ASCENT_WITH_CUDA
#include "model/cuda/device_info.h"
#endif

namespace ascent {

int cli_fail(const char* cmd, const std::string& message) {
  std::fprintf(stderr, "ascent %s: %s\n", cmd, message.c_str());
  return 1;
}

void cli_add_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the version and the compute backends built in");
  cmd->callback([] {
    std::printf("ascent 0.1.0\ncpu: OpenBLAS (OpenMP), %d threads\n", threads_get_count());
#ifdef ASCENT_WITH_CUDA
    std::string err;
    int n = cuda_device_count(&err);
    if (n < 0)
      std::printf("cuda: built in; no device usable (%s)\n", err.c_str());
    else
      std::printf("cuda: built in; %d device(s)\n", n);
#else
    std::printf("cuda: not built (configure with -DASCENT_CUDA=ON)\n");
#endif
  });
}

}  // namespace ascent
