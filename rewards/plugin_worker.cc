#include "rewards/plugin_worker.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ascent/reward_plugin.h"
#include "rewards/frame_io.h"

namespace ascent {

namespace {

int fail_start(const std::string& msg) {
  (void)frame_write(1, {{"ok", false}, {"error", msg}});
  return 2;
}

}  // namespace

int reward_worker_main(int argc, char** argv) {
  std::string plugin, config = "{}";
  long memory_mb = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--plugin") == 0)
      plugin = argv[i + 1];
    else if (std::strcmp(argv[i], "--config") == 0)
      config = argv[i + 1];
    else if (std::strcmp(argv[i], "--memory-mb") == 0)
      memory_mb = std::atol(argv[i + 1]);
  }
  if (plugin.empty()) return fail_start("no --plugin given");
  if (memory_mb > 0) {
    // A leaking plugin then fails an allocation (and usually dies) instead of taking the machine's memory.
    rlimit lim{static_cast<rlim_t>(memory_mb) << 20, static_cast<rlim_t>(memory_mb) << 20};
    setrlimit(RLIMIT_AS, &lim);
  }
  void* lib = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return fail_start(std::string("cannot load plugin: ") + dlerror());
  auto get = reinterpret_cast<ascent_reward_plugin_get_fn>(dlsym(lib, ASCENT_REWARD_PLUGIN_ENTRY));
  if (get == nullptr) return fail_start(plugin + " does not export " ASCENT_REWARD_PLUGIN_ENTRY);
  const ascent_reward_plugin* p = get();
  if (p == nullptr) return fail_start(plugin + ": " ASCENT_REWARD_PLUGIN_ENTRY " returned NULL");
  if (p->abi_version != ASCENT_REWARD_ABI_VERSION) {
    return fail_start(plugin + ": plugin ABI version " + std::to_string(p->abi_version) +
                      ", this ascent speaks " + std::to_string(ASCENT_REWARD_ABI_VERSION) +
                      ": rebuild the plugin against this ascent's " + "ascent/reward_plugin.h");
  }
  if (p->struct_size < sizeof(ascent_reward_plugin) || p->create == nullptr || p->score == nullptr) {
    return fail_start(plugin + ": incomplete plugin table (struct_size or function pointers)");
  }
  char err[1024] = {0};
  void* state = p->create(config.c_str(), err, sizeof err);
  if (state == nullptr) return fail_start(plugin + ": create() failed: " + err);
  if (!frame_write(1, {{"ok", true}, {"name", p->name ? p->name : "?"}}).ok()) return 1;
  for (;;) {
    absl::StatusOr<std::string> req = frame_read_raw(0, -1);
    if (!req.ok()) break;  // the trainer closed the channel
    absl::StatusOr<std::vector<PackedItem>> items = frame_unpack_items(*req);
    if (!items.ok()) return 3;  // garbage from the trainer: nothing sensible to answer
    for (size_t k = 0; k < items->size(); ++k) {
      const PackedItem& it = (*items)[k];
      ascent_reward_item item{it.prompt.c_str(), it.completion.c_str(), it.answer.c_str(),
                              it.metadata.c_str()};
      double reward = 0;
      int ok = 0;
      char reason[512] = {0};
      const int rc = p->score(state, &item, 1, &reward, &ok, reason, sizeof reason);
      reason[sizeof reason - 1] = 0;
      nlohmann::json out = {{"i", k}, {"ok", rc == 0 && ok != 0}, {"reason", reason}};
      if (rc != 0)
        out["reason"] = std::string("score() returned ") + std::to_string(rc) +
                        (reason[0] ? std::string(": ") + reason : "");
      if (rc == 0 && ok != 0 && !std::isfinite(reward)) {
        out["ok"] = false;
        out["reason"] = std::isnan(reward) ? "plugin returned NaN" : "plugin returned an infinite reward";
      } else {
        out["reward"] = reward;
      }
      if (!frame_write(1, out).ok()) return 1;
    }
  }
  if (p->destroy) p->destroy(state);
  return 0;
}

}  // namespace ascent
