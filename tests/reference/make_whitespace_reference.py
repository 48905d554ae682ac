#!/usr/bin/env python3
"""Reference values for whitespace next to special tokens and in chat templates (issue: lstrip/rstrip of added
tokens, Jinja's `trim`), from Hugging Face tokenizers and transformers' apply_chat_template (jinja2).

Writes
  tests/fixtures/tokenizer/strip.jsonl: {"text", "ids"}: the Qwen3 tokenizer.json with lstrip+rstrip on
    <|im_start|>, lstrip only on <|im_end|> and rstrip only on <|endoftext|> (test_tokenizer.cc makes the
    same change), encoding texts with every Python whitespace character and some look-alikes around them;
  tests/fixtures/chat/whitespace.jsonl: {"family", "messages", "add_generation_prompt", "text"}: the
    Llama-3.1 template (which trims contents) on contents wrapped in those characters.
Run: .venv-ref/bin/python tests/reference/make_whitespace_reference.py
"""
import json
import os
import tempfile

from tokenizers import Tokenizer
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")

# Every character Python's str.isspace accepts, and characters that look like space but are not White_Space.
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]
NOT_SPACES = ["\u200b", "\u180e", "\ufeff", "\u00ad", "\u2060", "x"]


def strip_texts():
    texts = ["  \t<|im_start|>\u00a0x"]  # the report's input
    for c in SPACES + NOT_SPACES:
        texts += [f"a{c}{c}<|im_start|>{c}x", f"{c}<|im_end|>{c}b", f"q{c}<|endoftext|>{c}{c}y",
                  f"{c}<|im_start|>{c}<|im_end|>{c}"]
    texts += ["\r\n<|im_start|>\r\n", "\u3000 \u2003<|im_start|>\u2028\u2029z", "é\u00a0<|im_end|>", "<|im_start|>"]
    return texts


def main():
    src = os.path.join(FIX, "tokenizer", "qwen3", "tokenizer.json")
    spec = json.load(open(src, encoding="utf-8"))
    flags = {"<|im_start|>": (True, True), "<|im_end|>": (True, False), "<|endoftext|>": (False, True)}
    for t in spec["added_tokens"]:
        if t["content"] in flags:
            t["lstrip"], t["rstrip"] = flags[t["content"]]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    tok = Tokenizer.from_file(f.name)
    os.unlink(f.name)
    out = os.path.join(FIX, "tokenizer", "strip.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for text in strip_texts():
            f.write(json.dumps({"text": text, "ids": tok.encode(text, add_special_tokens=False).ids},
                               ensure_ascii=False) + "\n")
    print(f"{len(strip_texts())} texts -> {out}")

    llama = AutoTokenizer.from_pretrained(os.path.join(FIX, "tokenizer", "llama3_1"))
    out = os.path.join(FIX, "chat", "whitespace.jsonl")
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        contents = ["\u00a0\u3000Hi\u2003"] + [f"{c}{c}Hi{c}there{c}" for c in SPACES + NOT_SPACES]
        for i, content in enumerate(contents):
            msgs = [{"role": "system", "content": SPACES[i % len(SPACES)] + "Be brief."},
                    {"role": "user", "content": content}]
            text = llama.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            f.write(json.dumps({"family": "llama3_1", "messages": msgs, "add_generation_prompt": True,
                                "text": text}, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} renderings -> {out}")


if __name__ == "__main__":
    main()
