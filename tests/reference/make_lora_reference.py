#!/usr/bin/env python3
"""LoRA reference dumps from peft + transformers + PyTorch (the independent implementation of LoRA).

For each case it loads the committed tiny model tests/fixtures/ref_<case>/ with transformers (float32), wraps it
with peft's LoraConfig, gives lora_B random values (peft starts it at 0, which would test nothing), saves the
adapter with save_pretrained into tests/fixtures/lora_<case>/ (adapter_config.json + adapter_model.safetensors),
and writes reference.bin there (format of make_reference.py) with:
  seq0, seq1                   the two token sequences (lengths 11 and 7), run one at a time (batch 1)
  logprobs                     per-token log-probs of tokens 1..n-1 of both, concatenated
  rl.weights, rl.loss          fixed weights w and L = -sum_t w_t logp_t
  rl.grad.<peft key>           dL/d(lora_A / lora_B) for every adapter tensor (peft's saved key names)
  base.logprobs                the same log-probs without the adapter (peft's disable_adapter())
Cases: llama (r 4, alpha 8, q/v/o/down), qwen3 (r 2, alpha 3, rsLoRA, all-linear).

Run: tests/reference/make_reference.sh lora (its virtualenv needs peft: pip install peft).
"""
import json
import os
import sys

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import FIXTURES, run, sequences, write_dump  # noqa: E402

import peft  # noqa: E402

CASES = {
    "llama": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"], use_rslora=False),
    "qwen3": dict(r=2, lora_alpha=3, target_modules="all-linear", use_rslora=True),
}


def make_case(name, spec):
    torch.manual_seed(0)
    base = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "ref_" + name),
                                                             torch_dtype=torch.float32)
    base.eval()
    seqs = sequences()
    with torch.no_grad():
        _, base_lp = run(base, seqs)
    cfg = peft.LoraConfig(lora_dropout=0.0, bias="none", task_type="CAUSAL_LM", **spec)
    model = peft.get_peft_model(base, cfg)
    model.eval()
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    out = os.path.join(FIXTURES, "lora_" + name)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    cfg_path = os.path.join(out, "adapter_config.json")
    with open(cfg_path) as f:
        saved = json.load(f)
    saved["base_model_name_or_path"] = "tests/fixtures/ref_" + name  # not this machine's absolute path
    with open(cfg_path, "w") as f:
        json.dump(saved, f, indent=2, sort_keys=True)
    readme = os.path.join(out, "README.md")
    if os.path.exists(readme):
        os.remove(readme)

    w = torch.rand(sum(len(s) - 1 for s in seqs), generator=torch.Generator().manual_seed(99)) * 2 - 1
    model.zero_grad()
    _, lp = run(model, seqs)
    loss = -(w * lp).sum()
    loss.backward()
    dump = [("seq0", seqs[0].float()), ("seq1", seqs[1].float()), ("logprobs", lp.detach()),
            ("base.logprobs", base_lp), ("rl.weights", w), ("rl.loss", loss.detach()[None])]
    for n, p in model.named_parameters():
        if "lora_" in n:
            dump.append(("rl.grad." + n.replace(".default", ""), p.grad.clone()))
    write_dump(os.path.join(out, "reference.bin"), dump)
    print(name, "adapter tensors:", sum(1 for n, _ in dump if n.startswith("rl.grad.")),
          "max |logp - base|:", float((lp - base_lp).detach().abs().max()))


if __name__ == "__main__":
    for name, spec in CASES.items():
        make_case(name, spec)
