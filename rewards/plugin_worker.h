// The reward worker process: loads one plugin (include/ascent/reward_plugin.h) and scores what the trainer
// sends on stdin/stdout (frames of frame_io.h). Run as `ascent-reward-worker --plugin LIB.so [--config JSON]
// [--memory-mb N]` by PluginReward (plugin_host.h); never by hand except to debug a plugin.
// Protocol: worker -> {"ok": true, "name": ...} or {"ok": false, "error": ...} once at start; then for each
// request (a binary item frame, frame_pack_items) one JSON frame per item, in order:
// {"i": k, "ok": bool, "reward": x, "reason": "..."}. Items are scored one call each, so a crash or a hang
// points at one item.
#pragma once

namespace ascent {

int reward_worker_main(int argc, char** argv);

}  // namespace ascent
