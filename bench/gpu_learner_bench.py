#!/usr/bin/env python3
"""Learner-step benchmark on one GPU: ascent's train step (bench_engine --mode train --device cuda) against
PyTorch doing the same work in the same run: a Qwen2.5-0.5B- and a 1.5B-shaped model (`ascent init-model`
presets), B x T tokens of next-token loss, FP32 LM head (logits and log-softmax in float32), backward, AdamW.

PyTorch variants, each in its own process (one's memory never counts against another's):
  fp32 eager       float32 weights and activations: the same arithmetic as ascent's FP32 engine;
  bf16 eager       the decoder under torch.autocast(bfloat16) over FP32 master weights, the LM head in FP32;
  bf16 compile     the same with the decoder through torch.compile (the issue's baseline).
Both clip gradients by their global norm (1.0) before AdamW.
tokens/s = B*T / median step time (CUDA-synchronised wall clock, after warm-up steps); peak memory is
torch.cuda.max_memory_allocated for PyTorch and the bytes ascent's CUDA backend had allocated at most at once.
MFU counts 6 N + 6 L T d_attn FLOPs per token (N: parameters in matmuls incl. the LM head; causal attention
halves the 12 L T d_attn of full attention) against the H200's dense bf16 peak of 989 TFLOP/s.
  usage: gpu_learner_bench.py --ascent PATH --bench PATH [--presets 0.5b,1.5b] [--batch 8] [--seq 2048]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PEAK_BF16 = 989e12


def flops_per_token(cfg, seq):
    C, F, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or C // H
    V = cfg["vocab_size"]
    per_layer = C * H * D + 2 * C * KV * D + H * D * C + 3 * C * F
    n = L * per_layer + V * C
    return 6 * n + 6 * L * seq * H * D


TORCH_WORKER = r'''
import json, statistics, sys, time, torch, transformers
mdir, variant, dev, B, T, steps, warmup = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:8])
sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
torch.backends.cuda.matmul.allow_tf32 = False
model = transformers.AutoModelForCausalLM.from_pretrained(mdir, dtype=torch.float32).to(dev)
model.train()
body, head = model.model, model.lm_head
if variant.endswith("compile"):
    body = torch.compile(body)
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=dev == "cuda")
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, 256, (B, T), generator=g).to(dev)
def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast(dev, dtype=torch.bfloat16, enabled=variant.startswith("bf16")):
        h = body(input_ids=ids).last_hidden_state
    logits = torch.nn.functional.linear(h[:, :-1].float(), head.weight.float())
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # ascent's step clips by the global norm too
    opt.step()
    return loss
times = []
for s in range(warmup + steps):
    sync(); t0 = time.perf_counter()
    loss = step()
    sync(); dt = time.perf_counter() - t0
    if s >= warmup: times.append(dt)
peak = torch.cuda.max_memory_allocated() if dev == "cuda" else 0
print(json.dumps({"step_seconds": statistics.median(times), "peak_bytes": peak,
                  "loss": float(loss)}))
'''


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    return json.loads(p.stdout.strip().splitlines()[-1]), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ascent", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--presets", default="0.5b,1.5b")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--variants", default="fp32 eager,bf16 eager,bf16 compile",
                    help="PyTorch variants at the first preset")
    ap.add_argument("--variants-after", default="bf16 eager",
                    help="PyTorch variants at the later presets (the device time is short)")
    ap.add_argument("--timeout", type=int, default=150, help="seconds per measurement")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--device", default="cuda", help="cpu: a dry run of the script itself")
    args = ap.parse_args()
    B, T = args.batch, args.seq
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        worker = os.path.join(tmp, "torch_worker.py")
        open(worker, "w").write(TORCH_WORKER)
        for preset in args.presets.split(","):
            mdir = os.path.join(tmp, preset)
            subprocess.run([args.ascent, "init-model", "--out", mdir, "--arch", "qwen2", "--preset", preset],
                           check=True, capture_output=True)
            cfg = json.load(open(os.path.join(mdir, "config.json")))
            fpt = flops_per_token(cfg, T)
            t0 = time.time()
            r, err = run([args.bench, "--model", mdir, "--mode", "train", "--device", args.device, "--batch", str(B),
                          "--seq", str(T), "--steps", str(args.steps), "--warmup", str(args.warmup),
                          "--chunk-mb", "2048"], args.timeout)
            if r:
                rows.append((preset, fpt, "ascent fp32 (" + args.device + ")", r["step_seconds"], r["peak_device_bytes"],
                             "model %.2f s + AdamW %.2f s" % (r["model_seconds"], r["optimizer_seconds"])))
            else:
                rows.append((preset, fpt, "ascent fp32 (" + args.device + ")", None, None, err))
            print("ascent %s: %s (%.0f s)" % (preset, r or err, time.time() - t0), flush=True)
            variants = args.variants if preset == args.presets.split(",")[0] else args.variants_after
            for variant in filter(None, variants.split(",")):
                t0 = time.time()
                r, err = run([args.python, worker, mdir, variant, args.device, str(B), str(T), str(args.steps),
                              str(args.warmup)], args.timeout)
                rows.append((preset, fpt, "PyTorch " + variant, r and r["step_seconds"], r and r["peak_bytes"], err))
                print("torch %s %s: %s (%.0f s)" % (preset, variant, r or err, time.time() - t0), flush=True)
            subprocess.run(["rm", "-rf", mdir], check=True)
    print("\nlearner step on one GPU: %d x %d tokens, next-token loss, FP32 LM head, backward, AdamW" % (B, T))
    print("| model | engine | step s | tokens/s | MFU (bf16 peak) | peak GB | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for preset, fpt, name, s, peak, note in rows:
        if s is None:
            print(f"| {preset} | {name} | - | - | - | - | {note} |")
            continue
        tps = B * T / s
        print(f"| {preset} | {name} | {s:.3f} | {tps:,.0f} | {100 * tps * fpt / PEAK_BF16:.1f}% "
              f"| {peak / 1e9:.1f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
