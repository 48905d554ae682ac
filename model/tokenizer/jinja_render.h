// Chat templates rendered by a real Jinja engine: Python's jinja2 (Debian's python3-jinja2), in one helper
// process per ascent process (started on first use, restarted once if it dies), set up as transformers'
// apply_chat_template sets it up: an immutable sandbox with trim_blocks and lstrip_blocks, the loopcontrols
// extension, a `{% generation %}` block that renders its body, `tojson` as json.dumps(ensure_ascii=False),
// and the globals raise_exception(message) and strftime_now(format) (today, or the time SOURCE_DATE_EPOCH
// gives, for reproducible renderings). Rendering happens when a prompt is
// prepared, never per decoded token.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ascent {

// Renders `tmpl` with the variables of `context` (messages, tools, add_generation_prompt, bos_token, ...).
// Errors: InvalidArgument with jinja2's message (a syntax error, raise_exception, a text over 16 MiB as
// JSON, over 4 GiB of memory in the helper); Unavailable when python3 or jinja2 is missing or the helper
// keeps dying; DeadlineExceeded after the deadline (30 s; the helper is then killed and the next call starts
// a new one).
absl::StatusOr<std::string> jinja_render(const std::string& tmpl, const nlohmann::ordered_json& context);

// The deadline of every later jinja_render (seconds; tests and the fuzz target make it short).
void set_jinja_render_deadline(double seconds);

}  // namespace ascent
