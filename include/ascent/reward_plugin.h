/* ascent reward plugin ABI, version 1.
 *
 * A reward plugin is a shared library that exports one C function:
 *
 *     const ascent_reward_plugin* ascent_reward_plugin_get(void);
 *
 * returning a pointer to a static table. ascent loads it by path (recipe: rewards.plugins[].path) inside a
 * separate worker process (ascent-reward-worker), never in the trainer: a plugin that crashes, hangs, leaks
 * or returns NaN costs the rewards it was computing (recorded as errors with a reason), not the run.
 *
 * Rules for implementers:
 *  - Set abi_version = ASCENT_REWARD_ABI_VERSION and struct_size = sizeof(ascent_reward_plugin); a library
 *    built against another version is refused with an error naming both versions.
 *  - create() gets the plugin's `config` from the recipe as a JSON string; it returns an opaque state, or
 *    NULL after writing a message into err (err_len bytes, NUL-terminated).
 *  - score() scores n items; for each it writes rewards[i] and ok[i] (1 = scored, 0 = failed) and may write a
 *    NUL-terminated reason into reasons + i * reason_len. It returns 0, or non-zero when the whole call
 *    failed. It may be called with n = 1 (the default: the worker isolates items) or with larger batches.
 *  - All strings are UTF-8. The plugin must not keep pointers to items after score() returns.
 *
 * Only this header is needed to build a plugin (C or C++): see examples/reward_plugin/.
 */
#ifndef ASCENT_REWARD_PLUGIN_H_
#define ASCENT_REWARD_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASCENT_REWARD_ABI_VERSION 1u

typedef struct ascent_reward_item {
  const char* prompt;
  const char* completion;
  const char* answer;        /* the reference answer, "" when none */
  const char* metadata_json; /* the dataset row's extra fields as a JSON object, "{}" when none */
} ascent_reward_item;

typedef struct ascent_reward_plugin {
  uint32_t abi_version; /* ASCENT_REWARD_ABI_VERSION */
  uint32_t struct_size; /* sizeof(ascent_reward_plugin) */
  const char* name;
  void* (*create)(const char* config_json, char* err, size_t err_len);
  int (*score)(void* state, const ascent_reward_item* items, size_t n, double* rewards, int* ok,
               char* reasons, size_t reason_len);
  void (*destroy)(void* state);
} ascent_reward_plugin;

typedef const ascent_reward_plugin* (*ascent_reward_plugin_get_fn)(void);
#define ASCENT_REWARD_PLUGIN_ENTRY "ascent_reward_plugin_get"

#ifdef __cplusplus
}
#endif

#endif /* ASCENT_REWARD_PLUGIN_H_ */
