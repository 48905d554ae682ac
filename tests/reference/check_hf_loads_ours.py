#!/usr/bin/env python3
"""Checks that checkpoints written by `ascent init-model` load in Hugging Face transformers and give the same
per-token log-probs as `ascent score`, for each family, in float32 and in sharded bfloat16.
Run: tests/reference/make_reference.sh's virtualenv, e.g.
  .venv-ref/bin/python tests/reference/check_hf_loads_ours.py build/cli/ascent
Exits non-zero on any mismatch (tolerance 1e-4 on log-probs: both sides compute in float32)."""
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers


def main(ascent):
    text = "The quick brown fox jumps over the lazy dog. 1+2=3"
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("qwen2", "llama", "qwen3"):
            for dtype, shard in (("float32", 0), ("bfloat16", 1)):
                d = os.path.join(tmp, "%s_%s" % (arch, dtype))
                cmd = [ascent, "init-model", "--out", d, "--arch", arch, "--preset", "tiny", "--dtype", dtype,
                       "--seed", "5"]
                if shard:
                    cmd += ["--shard-mb", str(shard)]
                subprocess.run(cmd, check=True, capture_output=True)
                inp = os.path.join(tmp, "in.jsonl")
                with open(inp, "w") as f:
                    f.write(json.dumps({"text": text}) + "\n")
                out = subprocess.run([ascent, "score", "--model", d, "--input", inp], check=True,
                                     capture_output=True, text=True).stdout
                ours = torch.tensor(json.loads(out.splitlines()[0])["logprobs"])
                model = transformers.AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
                ids = torch.tensor([list(text.encode())])
                with torch.no_grad():
                    logits = model(input_ids=ids).logits[0].float()
                ref = torch.log_softmax(logits[:-1], -1).gather(1, ids[0, 1:, None])[:, 0]
                err = (ours - ref).abs().max().item()
                worst = max(worst, err)
                files = sorted(os.listdir(d))
                print("%-6s %-8s %-40s max |ascent - transformers| = %.2e" % (arch, dtype, ",".join(files)[:40], err))
    print("transformers %s, torch %s: worst %.2e" % (transformers.__version__, torch.__version__, worst))
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
