#include "model/tokenizer/jinja_render.h"

#include <cstdlib>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/line_process.h"

namespace ascent {

namespace {

// The helper: one JSON request per line ({"template", "context"}), one JSON reply per line ({"text"} or
// {"error"}); compiled templates are cached by source.
const char* const kHelper = R"PY(
import sys
if sys.path and sys.path[0] in ("", "."):
    sys.path.pop(0)  # python3 -c puts the working directory first: a local jinja2/ or json.py must not load
import json
import os
from datetime import datetime, timezone

def reply(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=True) + "\n")
    sys.stdout.flush()

try:
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except Exception as e:
    reply({"fatal": "python3 cannot import jinja2 (%s): install Debian's python3-jinja2" % e})
    sys.exit(1)
version = tuple(int(x) for x in jinja2.__version__.split(".")[:3] if x.isdigit())
if version < (3, 1, 6) and not jinja2.__file__.startswith("/usr/lib/python3/"):
    # transformers requires 3.1.6 for its sandbox fixes; Debian's package carries them backported.
    reply({"fatal": "jinja2 %s at %s is older than 3.1.6 (sandbox fixes): upgrade it, or use Debian's "
                    "python3-jinja2" % (jinja2.__version__, jinja2.__file__)})
    sys.exit(1)

class Generation(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)
    def _body(self, caller):
        return caller()

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

REASONING = ("reasoning_content", "thinking", "reasoning")

def normalise(message):
    # As transformers does before rendering: keys whose value is None go (templates handle a missing key, not
    # None), and reasoning under any of its names is also given as `thinking` and `reasoning_content`.
    message = {k: v for k, v in message.items() if v is not None}
    r = next((message[k] for k in REASONING if message.get(k) is not None), None)
    if r is not None:
        message = {"thinking": r, **message, "reasoning_content": r}
    return message

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
def now():
    # SOURCE_DATE_EPOCH (reproducible-builds.org) fixes "now" for templates that print today's date.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now()

env.globals["strftime_now"] = lambda fmt: now().strftime(fmt)
try:
    # A template is code from a downloaded file: it may allocate without end ("x" * 10**10). Past 4 GiB of
    # address space Python raises MemoryError, which becomes that rendering's error.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = 4 << 30 if hard == resource.RLIM_INFINITY else min(hard, 4 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
except Exception:
    pass
# 16 MiB as JSON: more than any prompt can use (prompt_max_tokens <= 2^20 tokens), and a reply our side parses
# in well under a second; LineProcess's 64 MiB line limit stays the backstop.
MAX_LINE = 16 << 20
cache = {}
reply({"ready": jinja2.__version__})
for line in sys.stdin:
    try:
        req = json.loads(line)
        src = req["template"]
        if src not in cache:
            if len(cache) >= 64:
                cache.clear()
            cache[src] = env.from_string(src)
        ctx = dict(req["context"])
        ctx["messages"] = [normalise(m) if isinstance(m, dict) else m for m in ctx.get("messages", [])]
        ctx.setdefault("tools", None)
        ctx.setdefault("documents", None)
        text = cache[src].render(**ctx)
        # JSON is never shorter than the text, so a long text is refused before it is encoded at all.
        out = None
        if len(text) <= MAX_LINE:
            text.encode("utf-8")  # a lone surrogate ("\\udc80" in the template) is an error here, not in our parser
            out = json.dumps({"text": text}, ensure_ascii=True)
        if out is None or len(out) > MAX_LINE:
            out = json.dumps({"error": "the rendered text is %d characters long, over the limit of %d bytes "
                                       "as JSON" % (len(text), MAX_LINE)})
    except Exception as e:
        # The message may hold a lone surrogate too (raise_exception('\\udc80')): escaped, never sent raw.
        why = str(e)[:2000].encode("utf-8", "backslashreplace").decode("utf-8")
        out = json.dumps({"error": "%s: %s" % (type(e).__name__, why)}, ensure_ascii=True)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
)PY";

absl::Mutex g_mu;
std::optional<LineProcess> g_helper ABSL_GUARDED_BY(g_mu);
double g_deadline_s ABSL_GUARDED_BY(g_mu) = 30;

// The interpreters tried in order, the first with jinja2 kept: $ASCENT_PYTHON, python3 on PATH, and
// /usr/bin/python3 (where Debian's python3-jinja2 lives when PATH leads to another Python).
std::vector<std::string> interpreters() {
  std::vector<std::string> v;
  if (const char* p = std::getenv("ASCENT_PYTHON"); p != nullptr && *p != '\0') v.emplace_back(p);
  v.emplace_back("python3");
  v.emplace_back("/usr/bin/python3");
  return v;
}

absl::StatusOr<nlohmann::json> ask(const std::string& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_mu) {
  absl::Status last = absl::UnavailableError("no python3 found");
  for (const std::string& python : interpreters()) {
    if (!g_helper || !g_helper->running()) {
      absl::StatusOr<LineProcess> p = LineProcess::start({python, "-c", kHelper});
      if (!p.ok()) {
        last = absl::UnavailableError(
            absl::StrCat("chat templates need python3 with jinja2: ", p.status().message()));
        continue;
      }
      // The helper's first line: {"ready": version} or {"fatal": why} (then the next interpreter is tried).
      absl::StatusOr<std::string> hello = p->read_line(30);
      const nlohmann::json h = hello.ok() ? nlohmann::json::parse(*hello, nullptr, false) : nlohmann::json();
      if (!h.is_object() || !h.contains("ready")) {
        const std::string why = h.is_object() && h.contains("fatal") ? h["fatal"].get<std::string>()
                                : hello.ok() ? "unexpected first line: " + hello->substr(0, 200)
                                             : std::string(hello.status().message());
        last = absl::UnavailableError(absl::StrCat(python, ": ", why));
        continue;
      }
      g_helper = std::move(*p);
    }
    absl::StatusOr<std::string> reply = g_helper->request(request, g_deadline_s);
    if (!reply.ok()) return reply.status();
    nlohmann::json j = nlohmann::json::parse(*reply, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InternalError("the jinja2 helper replied: " + reply->substr(0, 200));
    }
    return j;
  }
  return last;
}

}  // namespace

void set_jinja_render_deadline(double seconds) {
  absl::MutexLock l(&g_mu);
  g_deadline_s = seconds;
}

absl::StatusOr<std::string> jinja_render(const std::string& tmpl, const nlohmann::ordered_json& context) {
  const std::string request = nlohmann::ordered_json{{"template", tmpl}, {"context", context}}.dump(
      -1, ' ', /*ensure_ascii=*/true, nlohmann::ordered_json::error_handler_t::replace);
  absl::MutexLock l(&g_mu);
  absl::StatusOr<nlohmann::json> j = ask(request);
  if (!j.ok() && absl::IsUnavailable(j.status()) &&
      j.status().message().find("jinja2") == std::string::npos) {
    j = ask(request);  // the helper died (killed, out of memory): one fresh start
  }
  if (!j.ok()) return j.status();
  if (j->contains("error")) return absl::InvalidArgumentError((*j)["error"].get<std::string>());
  return (*j)["text"].get<std::string>();
}

}  // namespace ascent
