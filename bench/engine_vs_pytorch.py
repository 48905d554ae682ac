#!/usr/bin/env python3
"""Engine benchmark: ascent's CPU train step and batched decode vs PyTorch (transformers) on the CPU.

Same checkpoint (written by `ascent init-model`), same thread count, same work, in one script run:
  train:  forward + backward + global-norm clip + AdamW over B sequences of T tokens (PyTorch: transformers model in float32,
          next-token cross-entropy, torch.optim.AdamW); tokens/s = B*T / step time.
  decode: B completions of 128 new tokens after a 16-token prompt with a KV cache (PyTorch: transformers
          `generate` with sampling, min_new_tokens = max_new_tokens so both produce the same count), timed
          end to end including the prefill; tokens/s = B*128 / time.
Each measurement is repeated (--repeats, default 3), alternating ascent and PyTorch so that machine noise hits
both alike, and the medians are compared. Prints a table with the ratio ascent / PyTorch.
Usage: bench/run_engine_bench.sh [--threads N] [--repeats R]
"""
import argparse
import statistics
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import transformers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def ours(binary, model, mode, threads, **kw):
    cmd = [binary, "--model", model, "--mode", mode, "--threads", str(threads)]
    for k, v in kw.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_train(model_dir, batch, seq, steps, warmup):
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 256, (batch, seq), generator=g)
    t0 = 0.0
    for s in range(warmup + steps):
        if s == warmup:
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(input_ids=ids).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                                                 ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # bench_engine clips by the global norm too
        opt.step()
    dt = time.perf_counter() - t0
    return batch * seq * steps / dt


def torch_decode(model_dir, batch, prompt, new_tokens):
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 256, (1, prompt), generator=g).repeat(batch, 1)
    kw = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=new_tokens,
              min_new_tokens=new_tokens, pad_token_id=258)
    with torch.inference_mode():
        model.generate(ids, **dict(kw, max_new_tokens=4, min_new_tokens=4))  # warm-up
        t0 = time.perf_counter()
        out = model.generate(ids, **kw)
        dt = time.perf_counter() - t0
    assert out.shape[1] == prompt + new_tokens
    return batch * new_tokens / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bench/bench_engine"))
    ap.add_argument("--ascent", default=os.path.join(ROOT, "build/cli/ascent"))
    ap.add_argument("--presets", default="tiny,small")
    ap.add_argument("--arch", default="qwen2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets.split(","):
            mdir = os.path.join(tmp, preset)
            subprocess.run([args.ascent, "init-model", "--out", mdir, "--arch", args.arch, "--preset", preset],
                           check=True, capture_output=True)
            steps = 10 if preset == "tiny" else 3
            tr = dict(batch=4, seq=256, steps=steps, warmup=1)
            a, b = [], []
            for _ in range(args.repeats):
                a.append(ours(args.binary, mdir, "train", args.threads, **tr)["tokens_per_second"])
                b.append(torch_train(mdir, tr["batch"], tr["seq"], tr["steps"], tr["warmup"]))
            rows.append((preset, "train step (fwd+bwd+AdamW), 4 x 256 tokens", a, b))
            for bs in (1, 16):
                dc = dict(batch=bs, prompt=16, new_tokens=128)
                a, b = [], []
                for _ in range(args.repeats):
                    a.append(ours(args.binary, mdir, "decode", args.threads, **dc)["tokens_per_second"])
                    b.append(torch_decode(mdir, dc["batch"], dc["prompt"], dc["new_tokens"]))
                rows.append((preset, "decode, batch %d, 16 + 128 tokens" % bs, a, b))
    print("\nascent engine vs PyTorch %s / transformers %s on the CPU, %d threads, %s preset architecture, "
          "median of %d alternating runs (min-max in brackets)" %
          (torch.__version__, transformers.__version__, args.threads, args.arch, args.repeats))
    print("| preset | work | ascent tokens/s | PyTorch tokens/s | ratio of medians |")
    print("| --- | --- | ---: | ---: | ---: |")
    for preset, what, a, b in rows:
        ma, mb = statistics.median(a), statistics.median(b)
        print("| %s | %s | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | %.2fx |" %
              (preset, what, ma, min(a), max(a), mb, min(b), max(b), ma / mb))


if __name__ == "__main__":
    sys.exit(main())
