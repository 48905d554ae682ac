#!/usr/bin/env python3
"""Step-time breakdown of `ascent train` (issue: learner and end-to-end run), stdlib only.

Runs a recipe twice on this machine: as written (PipelineRL, max_lag k) and as the synchronous baseline
(max_lag 0: actors may not start a step's prompts before the weights of the step before it, so generation and
training alternate), and prints where the time went from metrics.jsonl: on the learner, waiting for groups,
computing the gradient and AdamW, publishing weights, validating; on the actors (summed over actors), decoding,
rewards, sending, receiving and swapping weights, and idle (no work: the lag bound or no leases). The ratio
printed is the synchronous baseline's time per step over the pipelined one's.

Usage: train_breakdown.py ASCENT RECIPE [--steps N] [--model-preset 0.5b]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("ascent")
ap.add_argument("recipe")
ap.add_argument("--steps", type=int, default=40)
ap.add_argument("--name", default="breakdown")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="ascent-breakdown-")
text = open(args.recipe).read()
base_dir = os.path.dirname(os.path.abspath(args.recipe))


def variant(lag, name):
    t = re.sub(r"^name: .*$", f"name: {name}", text, flags=re.M)
    t = re.sub(r"max_lag: \d+", f"max_lag: {lag}", t)
    t = re.sub(r"^  steps: \d+", f"  steps: {args.steps}", t, flags=re.M)
    t = re.sub(r"^  dir: .*$", f"  dir: {work}", t, flags=re.M)
    # validation only at the start and the end, checkpoints only at the end
    t = re.sub(r"validation: \{every: \d+", "validation: {every: 0", t)
    t = re.sub(r"checkpoint: \{every: \d+", "checkpoint: {every: 0", t)
    path = os.path.join(base_dir, f".{name}.yaml")  # beside the original: its relative paths hold
    open(path, "w").write(t)
    return path


def run(lag, name):
    path = variant(lag, name)
    t0 = time.time()
    r = subprocess.run([args.ascent, "train", path, "--fresh", "--no-progress"], capture_output=True, text=True)
    wall = time.time() - t0
    os.unlink(path)
    if r.returncode != 0:
        sys.exit(f"{name}: ascent train failed:\n{r.stderr[-3000:]}")
    rows = [json.loads(l) for l in open(os.path.join(work, name, "metrics.jsonl"))]
    # A step's line has groups/generated; with run.validation.background a validation has a line of its own.
    train = [x for x in rows if x["step"] > 0 and "groups/generated" in x]
    vals = sorted((x["step"], x["val/pass_rate"]) for x in rows if "val/pass_rate" in x)
    last = train[-1]
    s = {k: sum(x.get(k, 0) for x in train) for k in ("time/wait_s", "time/learner_s", "time/publish_s")}
    s["time/validation_s"] = sum(x.get("time/validation_s", 0) for x in rows)
    for k in ("decode", "reward", "send", "weight_receive", "weight_swap", "idle"):
        s["actors/" + k] = last.get(f"actors/{k}_s", 0)
    s["steps"] = len(train)
    s["step_s"] = sum(x["time/step_s"] for x in train) / len(train)
    s["wall"] = wall
    s["tokens"] = last["compute/tokens"]
    s["val"] = (vals[0][1], vals[-1][1]) if vals else (None, None)
    s["lag"] = max(x.get("lag/max", 0) for x in train)
    return s


lag = int(re.search(r"max_lag: (\d+)", text).group(1)) if re.search(r"max_lag: (\d+)", text) else 8
pipe = run(lag, args.name + "_pipelined")
sync = run(0, args.name + "_sync")

print(f"recipe {args.recipe}, {args.steps} steps, this machine ({os.cpu_count()} cores)")
print(f"{'':34} {'pipelined (max_lag %d)' % lag:>24} {'synchronous (max_lag 0)':>24}")
rows = [
    ("learner: waiting for groups", "time/wait_s"),
    ("learner: gradient + AdamW", "time/learner_s"),
    ("learner: publishing weights", "time/publish_s"),
    ("learner: validation", "time/validation_s"),
    ("actors: decoding (generation)", "actors/decode"),
    ("actors: rewards", "actors/reward"),
    ("actors: sending groups", "actors/send"),
    ("actors: receiving weights", "actors/weight_receive"),
    ("actors: swapping weights in", "actors/weight_swap"),
    ("actors: idle", "actors/idle"),
]
for label, k in rows:
    print(f"{label:34} {pipe[k]:>21.2f} s {sync[k]:>21.2f} s")
print(f"{'time per step':34} {pipe['step_s']:>21.3f} s {sync['step_s']:>21.3f} s")
print(f"{'wall (whole command)':34} {pipe['wall']:>21.1f} s {sync['wall']:>21.1f} s")
print(f"{'tokens generated':34} {pipe['tokens']:>23.0f} {sync['tokens']:>23.0f}")
print(f"{'lag max':34} {pipe['lag']:>23} {sync['lag']:>23}")
print(f"{'held-out pass rate start -> end':34} {str(pipe['val']):>23} {str(sync['val']):>23}")
print(f"ratio: synchronous / pipelined time per step = {sync['step_s'] / pipe['step_s']:.2f}x; "
      f"actor idle share (pipelined) = {pipe['actors/idle'] / max(1e-9, pipe['actors/idle'] + pipe['actors/decode'] + pipe['actors/reward'] + pipe['actors/send']):.1%}")
