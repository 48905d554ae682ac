#!/usr/bin/env python3
"""The folder dependency picture of ascent, drawn from the #include lines of the sources.

  python3 scripts/deps_graph.py           # the edges as text: folder -> folders it includes
  python3 scripts/deps_graph.py --dot     # Graphviz DOT (dot -Tsvg > deps.svg)
  python3 scripts/deps_graph.py --check   # exit 1 if an include breaks the layering below

The layering (docs/design.md): a folder may include only folders of a lower layer. Folders of one layer are
independent of each other (actor/ and learner/ never include one another). tests/, bench/, fuzz/ and examples/ sit
outside the picture: they may include anything.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = [
    ["core"],
    ["model", "proto", "curve_fit", "include", "tools"],
    ["transport", "generation", "collective", "rewards"],
    ["actor", "learner"],
    ["job"],
    ["cli"],
]
LAYER_OF = {f: i for i, fs in enumerate(LAYERS) for f in fs}
PROJECT = set(LAYER_OF) | {"tests", "bench", "examples", "fuzz"}
SKIP = {"tests", "bench", "examples", "fuzz", "docs", "scripts", "recipes", "cmake"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def sources():
    """The tracked C++ sources (git ls-files), so build directories and scratch files never count."""
    out = subprocess.run(["git", "ls-files", "*.h", "*.cc", "*.cu"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [p for p in out if "/" in p and p.split("/", 1)[0] not in SKIP]


def edges():
    out = {}  # (from, to) -> first file:line that makes the edge
    for rel in sorted(sources()):
        folder = rel.split("/", 1)[0]
        with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                target = m.group(1) if m else None
                if target == "ascent":  # include/ascent/reward_plugin.h, the plugin SDK
                    target = "include"
                if target is None or target == folder or target not in PROJECT:
                    continue  # itself, or a library's header (absl/, nlohmann/, ...)
                out.setdefault((folder, target), f"{rel}:{n}")
    return out


def main():
    e = edges()
    folders = sorted({a for a, _ in e} | {b for _, b in e}, key=lambda f: (LAYER_OF.get(f, 99), f))
    if "--dot" in sys.argv:
        print("digraph ascent {\n  rankdir=BT;\n  node [shape=box, fontname=monospace];")
        for i, layer in enumerate(LAYERS):
            print("  { rank=same; " + " ".join(f'"{f}/";' for f in layer if f in folders) + " }")
        for (a, b) in sorted(e):
            print(f'  "{a}/" -> "{b}/";')
        print("}")
        return 0
    bad = [(a, b, where) for (a, b), where in sorted(e.items())
           if a not in LAYER_OF or b not in LAYER_OF or LAYER_OF[b] >= LAYER_OF[a]]
    if "--check" in sys.argv:
        for a, b, where in bad:
            print(f"{where}: {a}/ includes {b}/, which is not in a lower layer (scripts/deps_graph.py)")
        print(f"{len(e)} folder dependencies, {len(bad)} against the layering")
        return 1 if bad else 0
    for f in folders:
        deps = sorted((b for a, b in e if a == f), key=lambda x: (LAYER_OF.get(x, 99), x))
        print(f"layer {LAYER_OF.get(f, '?')}  {f + '/':12} -> {' '.join(d + '/' for d in deps) or '(nothing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
