#!/usr/bin/env python3
"""Whole-model log-probs, ascent on a GPU (`ascent score --device cuda`) vs Hugging Face transformers on the same
GPU, for checkpoints of each family written by `ascent init-model` (random weights, FP32 on disk).

transformers runs in float32 with TF32 off (torch's default for matmuls), so both sides compute the same FP32
function and differ by summation order only: the bound is 2e-4 absolute on each token's log-prob (values are
O(1..10); FP32 reordering over a few hundred tokens gives ~1e-5, and a bf16 model would miss it by ~1e-2).
Exit status 1 if any model misses the bound.
  usage: gpu_vs_transformers.py --ascent PATH [--device cuda] [--presets small,0.5b] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers

BOUND = 2e-4


def score_ours(ascent, model_dir, seqs, device, tmp):
    inp = os.path.join(tmp, "seqs.jsonl")
    with open(inp, "w") as f:
        for s in seqs:
            f.write(json.dumps({"ids": s}) + "\n")
    out = subprocess.run([ascent, "score", "--model", model_dir, "--input", inp, "--device", device],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["logprobs"] for line in out.splitlines() if line.strip()]


def score_torch(model_dir, seqs, device):
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device)
    model.eval()
    res = []
    with torch.inference_mode():
        for s in seqs:
            ids = torch.tensor([s], device=device)
            logits = model(input_ids=ids).logits[0, :-1].float()
            lp = torch.log_softmax(logits, dim=-1).gather(1, ids[0, 1:, None])[:, 0]
            res.append(lp.cpu().tolist())
    del model
    torch.cuda.empty_cache() if device.startswith("cuda") else None
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ascent", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--presets", default="small")
    ap.add_argument("--archs", default="qwen2,llama,qwen3")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    g = torch.Generator().manual_seed(5)
    worst_all = 0.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets.split(","):
            for arch in args.archs.split(","):
                mdir = os.path.join(tmp, f"{arch}-{preset}")
                subprocess.run([args.ascent, "init-model", "--out", mdir, "--arch", arch, "--preset", preset,
                                "--seed", "3"], check=True, capture_output=True)
                vocab = json.load(open(os.path.join(mdir, "config.json")))["vocab_size"]
                seqs = [torch.randint(0, vocab, (n,), generator=g).tolist() for n in (2, 17, 300, 130)]
                ours = score_ours(args.ascent, mdir, seqs, args.device, tmp)
                ref = score_torch(mdir, seqs, args.device)
                worst = max(abs(a - b) for o, r in zip(ours, ref) for a, b in zip(o, r))
                n = sum(len(r) for r in ref)
                worst_all = max(worst_all, worst)
                rows.append((arch, preset, n, worst))
                subprocess.run(["rm", "-rf", mdir], check=True)
    print(f"ascent score --device {args.device} vs transformers {transformers.__version__} "
          f"(torch {torch.__version__}, float32, {args.device}): max |log-prob difference| per model")
    print("| arch | preset | tokens | max abs diff | within %.0e |" % BOUND)
    print("| --- | --- | ---: | ---: | --- |")
    for arch, preset, n, worst in rows:
        print(f"| {arch} | {preset} | {n} | {worst:.2e} | {'yes' if worst <= BOUND else 'NO'} |")
    ok = worst_all <= BOUND
    print("CHECK whole-model log-probs vs transformers: %s (worst %.2e)" % ("ok" if ok else "FAIL", worst_all))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
