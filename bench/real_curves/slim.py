#!/usr/bin/env python3
"""Keeps what the fit benchmark reads from a run's metrics.jsonl: the validation lines, with the step, the
compute keys and the val/ keys (a 600-step run's file shrinks from 400 kB to 3 kB).
--samples N adds val/samples = N (validation prompts x samples per prompt, from the recipe) to lines that lack
it: runs made before the learner logged val/samples.
Usage: slim.py IN.jsonl OUT.jsonl [--samples N]"""
import argparse
import json

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("--samples", type=int, default=0)
a = ap.parse_args()
out = []
for line in open(a.src):
    d = json.loads(line)
    if "val/pass_rate" not in d:
        continue
    keep = {k: v for k, v in d.items() if k == "step" or k.startswith(("compute/", "val/"))}
    if a.samples and "val/samples" not in keep:
        keep["val/samples"] = a.samples
    out.append(json.dumps(keep, sort_keys=True))
with open(a.dst, "w") as f:
    f.write("\n".join(out) + "\n")
