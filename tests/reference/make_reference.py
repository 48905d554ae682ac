#!/usr/bin/env python3
"""Reference dumps for the engine, from Hugging Face transformers + PyTorch (the independent implementation).

For each case (qwen2: QKV bias, tied; llama: untied, llama3 RoPE scaling, grad clipping; qwen3: QK-norm,
AdamW eps 1e-15) this script
  1. builds a tiny model with transformers from a fixed seed and saves it with save_pretrained (safetensors,
     the config.json layout of the installed transformers) into tests/fixtures/ref_<case>/;
  2. runs two sequences (lengths 11 and 7) one at a time (batch 1, no padding) and dumps their logits, the
     per-token log-probs of tokens 1..n-1, the SFT loss (mean NLL over all targets) and every parameter gradient;
  3. dumps the gradient of an RL-style loss L = -sum_t w_t logp_t for fixed random weights w;
  4. takes three torch.optim.AdamW steps on the SFT loss and dumps, after steps 1 and 3, the parameters, the
     log-probs, the loss and the gradients at the new parameters.
The C++ test (tests/test_reference.cc) packs both sequences into ONE batch, so it also checks packing.

Dump format (little-endian): b"ASCREF\\0\\0", u32 version (1), u32 count, then per tensor:
u32 name length, name bytes, u32 ndim, i64 dims[ndim], f32 data.

Run: tests/reference/make_reference.sh (creates a virtualenv with torch and transformers from PyPI).
"""
import json
import os
import struct
import sys

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
MAGIC = b"ASCREF\0\0"
VERSION = 1

COMMON = dict(vocab_size=272, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=8, rms_norm_eps=1e-6, max_position_embeddings=256,
              initializer_range=0.2, bos_token_id=257, eos_token_id=256)

CASES = {
    # Qwen2: q/k/v biases, tied embeddings.
    "qwen2": dict(cls="Qwen2", cfg=dict(tie_word_embeddings=True, rope_theta=1e6),
                  adam=dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1), clip=0.0),
    # Llama-3 style: untied head, llama3 rope scaling with bands inside head_dim 8, clipping active.
    "llama": dict(cls="Llama", cfg=dict(tie_word_embeddings=False, rope_theta=10000.0,
                                        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                          high_freq_factor=4.0,
                                                          original_max_position_embeddings=64)),
                  adam=dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), clip=0.05),
    # Qwen3: per-head q/k RMSNorm, tied; AdamW eps 1e-15 as ScaleRL uses.
    "qwen3": dict(cls="Qwen3", cfg=dict(tie_word_embeddings=True, rope_theta=1e6, attention_bias=False),
                  adam=dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-15, weight_decay=0.01), clip=0.0),
}


def write_dump(path, tensors):
    # Every tensor was cloned when it was recorded: parameters change in place under the optimiser.
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<II", VERSION, len(tensors)))
        for name, t in tensors:
            t = t.detach().to(torch.float32).contiguous().cpu()
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack("<%dq" % t.dim(), *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())


def sequences():
    g = torch.Generator().manual_seed(1234)
    return [torch.randint(0, 256, (n,), generator=g) for n in (11, 7)]


def run(model, seqs):
    """Per-sequence forward (batch 1); returns logits list and the concatenated target log-probs."""
    logits, logps = [], []
    for s in seqs:
        out = model(input_ids=s[None, :]).logits[0].float()
        logits.append(out)
        lp = torch.log_softmax(out[:-1], dim=-1).gather(1, s[1:, None])[:, 0]
        logps.append(lp)
    return logits, torch.cat(logps)


def named_params(model):
    # The Hugging Face names; a tied lm_head is the same tensor as the embedding and is not listed twice.
    return [(n, p) for n, p in model.named_parameters()]


def make_case(name, spec):
    torch.manual_seed(0)
    cfg_cls = getattr(transformers, spec["cls"] + "Config")
    model_cls = getattr(transformers, spec["cls"] + "ForCausalLM")
    cfg = cfg_cls(**COMMON, **spec["cfg"])
    model = model_cls(cfg).float()
    model.eval()  # no dropout anywhere; gradients still flow
    out_dir = os.path.join(FIXTURES, "ref_" + name)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    for extra in ("generation_config.json",):
        p = os.path.join(out_dir, extra)
        if os.path.exists(p):
            os.remove(p)

    seqs = sequences()
    dump = [("seq0", seqs[0].float()), ("seq1", seqs[1].float())]
    params = named_params(model)

    # Step 0: SFT loss, logits, log-probs, gradients.
    model.zero_grad()
    logits, logp = run(model, seqs)
    loss = -logp.mean()
    loss.backward()
    dump += [("logits0", logits[0]), ("logits1", logits[1]), ("step0.logprobs", logp), ("step0.loss", loss[None])]
    dump += [("step0.grad." + n, p.grad.clone()) for n, p in params]

    # RL-style loss with fixed per-token weights.
    g = torch.Generator().manual_seed(99)
    w = torch.rand(logp.numel(), generator=g) * 2 - 1
    model.zero_grad()
    _, logp_rl = run(model, seqs)
    loss_rl = -(w * logp_rl).sum()
    loss_rl.backward()
    dump += [("rl.weights", w), ("rl.loss", loss_rl[None])]
    dump += [("rl.grad." + n, p.grad.clone()) for n, p in params]

    # AdamW steps on the SFT loss (one param group: weight decay on every parameter).
    opt = torch.optim.AdamW(model.parameters(), **spec["adam"], foreach=False)
    dump += [("adam.lr", torch.tensor([spec["adam"]["lr"]])),
             ("adam.beta1", torch.tensor([spec["adam"]["betas"][0]])),
             ("adam.beta2", torch.tensor([spec["adam"]["betas"][1]])),
             ("adam.eps", torch.tensor([spec["adam"]["eps"]], dtype=torch.float64)),
             ("adam.weight_decay", torch.tensor([spec["adam"]["weight_decay"]])),
             ("adam.clip", torch.tensor([spec["clip"]]))]
    for step in (1, 2, 3):
        model.zero_grad()
        _, logp = run(model, seqs)
        loss = -logp.mean()
        loss.backward()
        if spec["clip"] > 0:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), spec["clip"])
            dump.append(("clip_norm_before_step%d" % step, norm[None]))
        opt.step()
        if step in (1, 3):
            model.zero_grad()
            _, logp = run(model, seqs)
            loss = -logp.mean()
            loss.backward()
            pre = "step%d." % step
            dump += [(pre + "logprobs", logp), (pre + "loss", loss[None])]
            dump += [(pre + "param." + n, p.detach().clone()) for n, p in params]
            dump += [(pre + "grad." + n, p.grad.clone()) for n, p in params]
    write_dump(os.path.join(out_dir, "reference.bin"), dump)
    print("%s: %d tensors, loss0 %.6f, versions torch %s transformers %s" %
          (name, len(dump), dump[5][1].item(), torch.__version__, transformers.__version__))


if __name__ == "__main__":
    torch.set_num_threads(1)
    for name in (sys.argv[1:] or CASES):
        make_case(name, CASES[name])
