#!/usr/bin/env python3
"""Writes synthetic runs for `ascent fit` demos and tests (standard library only, deterministic).

Curves are ScaleRL's published fits (docs/algorithms.md section 10) with R0 = 0.25 and uniform noise of
+-0.01:
  scalerl_8b.jsonl  (C_mid 2542, B 1.92, A 0.610)  metrics.jsonl, a validation every 10 steps of 20 GPU-hours
  batch512.jsonl    (C_mid 2818, B 1.77, A 0.605)  the same layout
  scout.csv         (C_mid 4242, B 1.65, A 0.710)  CSV with columns gpu_hours,pass_rate
Usage: make_demo_runs.py OUTDIR
"""
import json
import os
import random
import sys


def law(c, a, b, c_mid, r0=0.25):
    return r0 if c <= 0 else r0 + (a - r0) / (1 + (c_mid / c) ** b)


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1)
    for name, (c_mid, b, a) in {"scalerl_8b": (2542, 1.92, 0.610), "batch512": (2818, 1.77, 0.605)}.items():
        with open(os.path.join(out, name + ".jsonl"), "w") as f:
            for step in range(400):
                c = step * 20.0
                rec = {"step": step, "compute/gpu_hours": c, "loss/value": 0.1}
                if step % 10 == 0:
                    rec["val/pass_rate"] = law(c, a, b, c_mid) + rng.uniform(-0.01, 0.01)
                f.write(json.dumps(rec) + "\n")
    with open(os.path.join(out, "scout.csv"), "w") as f:
        f.write("gpu_hours,pass_rate\n")
        for k in range(51):
            c = k * 250.0
            f.write(f"{c},{law(c, 0.710, 1.65, 4242) + rng.uniform(-0.01, 0.01):.5f}\n")


if __name__ == "__main__":
    main(sys.argv[1])
