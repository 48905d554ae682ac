#!/usr/bin/env python3
"""`ascent render-chat` (ctest render_chat_cli). Usage: render_chat_cli_test.py ASCENT.

The first 40 cases of tests/fixtures/chat_templates/reference.json through the command for Qwen2.5 (all
rendered) and Gemma-2 (which refuses system messages): each output line equals transformers'
apply_chat_template text, or is an error carrying its message; a malformed line is an error naming file:line.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

ascent = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ref = json.load(open(os.path.join(root, "tests", "fixtures", "chat_templates", "reference.json"), encoding="utf-8"))
work = tempfile.mkdtemp(prefix="ascent-render-chat-")


inp = os.path.join(work, "in.jsonl")
with open(inp, "w", encoding="utf-8") as f:
    for c in ref["cases"][:40]:
        f.write(json.dumps(dict(c, **ref["extra"]), ensure_ascii=False) + "\n")
for family in ("qwen2_5", "gemma2"):
    r = subprocess.run([ascent, "render-chat", "--model", os.path.join(root, "tests", "fixtures", "chat_templates", family),
                        "--input", inp], capture_output=True, text=True)
    check(f"{family}: runs", r.returncode == 0, r.stderr)
    got = [json.loads(line) for line in r.stdout.splitlines()]
    want = ref["renderings"][family][:40]
    bad = [i for i, (g, w) in enumerate(zip(got, want))
           if ("text" in w and g.get("text") != w["text"]) or ("error" in w and w["error"] not in g.get("error", ""))]
    check(f"{family}: 40 lines equal apply_chat_template's ({sum('error' in w for w in want)} refusals)",
          len(got) == 40 and not bad, bad[:3])
with open(inp, "a") as f:
    f.write('{"messages": "not a list"}\n')
r = subprocess.run([ascent, "render-chat", "--model", os.path.join(root, "tests", "fixtures", "chat_templates", "qwen2_5"),
                    "--input", inp], capture_output=True, text=True)
check("a malformed line names file:line", r.returncode != 0 and f"{inp}:41: needs \"messages\"" in r.stderr, r.stderr)
check("and the lines before it were written", len(r.stdout.splitlines()) == 40)
finish(work)
