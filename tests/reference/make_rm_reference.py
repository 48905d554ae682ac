#!/usr/bin/env python3
"""Reference scores for reward models (*ForSequenceClassification) from transformers + PyTorch.

Builds a tiny Qwen2ForSequenceClassification and a tiny LlamaForSequenceClassification (one label, the
shape of reward models such as AceMath-RM) from a fixed seed, saves each with save_pretrained into
tests/fixtures/ref_rm_<case>/, and dumps (make_reference.py's format) the score of four sequences, each run
alone (batch 1, no padding): lengths 9, 5 and 13, and a sequence ending in two pad tokens, which
transformers pools at its last non-pad token. tests/test_reward_model.cc packs all four in one batch.
Run: tests/reference/make_reference.sh rm   (same virtualenv as make_reference.py).
"""
import os
import sys

import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import COMMON, FIXTURES, write_dump  # noqa: E402

PAD = 258
CASES = {"qwen2": ("Qwen2", dict(tie_word_embeddings=False, rope_theta=1e6)),
         "llama": ("Llama", dict(tie_word_embeddings=False, rope_theta=10000.0))}


def main():
    for case, (cls, extra) in CASES.items():
        torch.manual_seed(1234)
        cfg = getattr(transformers, cls + "Config")(**COMMON, **extra, num_labels=1, pad_token_id=PAD)
        model = getattr(transformers, cls + "ForSequenceClassification")(cfg).eval()
        out = os.path.join(FIXTURES, f"ref_rm_{case}")
        os.makedirs(out, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        g = torch.Generator().manual_seed(99)
        seqs = [torch.randint(0, 256, (n,), generator=g) for n in (9, 5, 13)]
        seqs.append(torch.cat([torch.randint(0, 256, (6,), generator=g), torch.tensor([PAD, PAD])]))
        tensors = []
        with torch.no_grad():
            for i, s in enumerate(seqs):
                score = model(input_ids=s[None, :]).logits[0]
                tensors.append((f"seq{i}.ids", s.to(torch.float32)))
                tensors.append((f"seq{i}.score", score))
        write_dump(os.path.join(out, "reference.bin"), tensors)
        print(case, [round(float(t), 5) for n, t in tensors if n.endswith("score")])


if __name__ == "__main__":
    main()
