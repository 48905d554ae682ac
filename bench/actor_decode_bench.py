#!/usr/bin/env python3
"""Decode throughput of the actor's continuous batching (bench_engine --mode cb_decode: B requests of one
completion each, 16 prompt + 128 new tokens) against the engine's plain batched decode (generate_batch: one
prompt, B completions) and PyTorch eager (transformers generate, the same work as plain), on the small preset.
Median of --repeats alternating runs. Run with the reference virtualenv (bench/run_engine_bench.sh's).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_vs_pytorch import ROOT, ours, torch_decode  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--preset", default="small")
    ap.add_argument("--batches", default="1,16,64")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    binary = os.path.join(ROOT, "build/bench/bench_engine")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mdir = os.path.join(tmp, args.preset)
        subprocess.run([os.path.join(ROOT, "build/cli/ascent"), "init-model", "--out", mdir, "--arch", "qwen2",
                        "--preset", args.preset], check=True, capture_output=True)
        for bs in (int(b) for b in args.batches.split(",")):
            kw = dict(batch=bs, prompt=16, new_tokens=128)
            cb, plain, pt = [], [], []
            for _ in range(args.repeats):
                cb.append(ours(binary, mdir, "cb_decode", args.threads, **kw)["tokens_per_second"])
                plain.append(ours(binary, mdir, "decode", args.threads, **kw)["tokens_per_second"])
                pt.append(torch_decode(mdir, bs, 16, 128))
            rows.append((bs, statistics.median(cb), statistics.median(plain), statistics.median(pt)))
    print(f"\ndecode tokens/s, {args.preset} preset (qwen2), 16 + 128 tokens, {args.threads} threads, "
          f"PyTorch {torch.__version__} / transformers {transformers.__version__}, median of {args.repeats}")
    print("| batch | continuous batching | plain batched decode | PyTorch eager | cb / plain | cb / PyTorch |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for bs, c, p, t in rows:
        print(f"| {bs} | {c:.0f} | {p:.0f} | {t:.0f} | {c / p:.2f}x | {c / t:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
