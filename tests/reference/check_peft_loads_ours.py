#!/usr/bin/env python3
"""Checks that LoRA adapters written by ascent (a LoRA run's checkpoint adapter/, PEFT's format) load in peft
and give the same per-token log-probs as ascent's merged policy (`ascent merge-lora`, then `ascent score`).
Run with the reference virtualenv (peft installed), e.g. after `KEEP=1 python3 tests/train_e2e_test.py ...`:
  .venv-ref/bin/python tests/reference/check_peft_loads_ours.py build/cli/ascent BASE_DIR ADAPTER_DIR
Exits non-zero on a mismatch (tolerance 1e-4 on log-probs: both sides compute in float32)."""
import json
import os
import subprocess
import sys
import tempfile

import peft
import torch
import transformers


def main(ascent, base, adapter):
    ids = [list(s.encode()) for s in ("12+30=42", "The quick brown fox. 7*8=56", "x")]
    with tempfile.TemporaryDirectory() as tmp:
        merged = os.path.join(tmp, "merged")
        subprocess.run([ascent, "merge-lora", "--base", base, "--adapter", adapter, "--out", merged], check=True,
                       capture_output=True)
        inp = os.path.join(tmp, "in.jsonl")
        with open(inp, "w") as f:
            for s in ids:
                f.write(json.dumps({"ids": s}) + "\n")
        out = subprocess.run([ascent, "score", "--model", merged, "--input", inp], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = peft.PeftModel.from_pretrained(model, adapter)
    model.eval()
    worst, moved = 0.0, 0.0
    for s, line in zip(ids, out):
        ours = torch.tensor(json.loads(line)["logprobs"])
        x = torch.tensor([s])
        with torch.no_grad():
            logits = model(input_ids=x).logits[0].float()
            with model.disable_adapter():
                base_logits = model(input_ids=x).logits[0].float()
        ref = torch.log_softmax(logits[:-1], -1).gather(1, x[0, 1:, None])[:, 0]
        base_lp = torch.log_softmax(base_logits[:-1], -1).gather(1, x[0, 1:, None])[:, 0]
        if len(s) > 1:
            worst = max(worst, (ours - ref).abs().max().item())
            moved = max(moved, (ref - base_lp).abs().max().item())
    print("peft %s, transformers %s: max |ascent merged - peft| = %.2e over %d sequences; the adapter moves "
          "log-probs by up to %.3f" % (peft.__version__, transformers.__version__, worst, len(ids), moved))
    return 0 if worst < 1e-4 and moved > 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
