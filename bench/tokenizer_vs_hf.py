#!/usr/bin/env python3
"""Tokenizer encode throughput: ours (bench_tokenizer, one thread) against Hugging Face `tokenizers` (Rust;
encode one document at a time, and encode_batch on all cores) on the same documents, and a token-for-token
check of the ids on the whole corpus. Run by bench/run_tokenizer_bench.sh.

Corpus: this repository's source and docs (code, English, LaTeX in docs) plus the multilingual test corpus
repeated, as one document per file / paragraph.
Usage: tokenizer_vs_hf.py BENCH_TOKENIZER SOURCE_DIR SHARED_TOKENIZERS_DIR
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

from tokenizers import Tokenizer


def corpus(src):
    docs = []
    for pattern in ("**/*.cc", "**/*.h", "**/*.md", "**/*.py"):
        for path in sorted(glob.glob(os.path.join(src, pattern), recursive=True)):
            if "/build" in path or "/fixtures/" in path or "/.venv" in path:
                continue
            docs.append(open(path, encoding="utf-8", errors="replace").read())
    multi = [json.loads(l)["text"] for l in open(os.path.join(src, "tests/fixtures/tokenizer/corpus.jsonl"))]
    for k in range(40):
        docs.append("\n".join(multi[(k + i) % len(multi)] for i in range(len(multi))))
    return docs


def main():
    binary, src, shared = sys.argv[1:4]
    docs = corpus(src)
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "docs.jsonl")
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
    mb = sum(len(d.encode()) for d in docs) / 1e6
    print(f"corpus: {len(docs)} documents, {mb:.2f} MB")
    for name in ("qwen3", "llama3_1"):
        tok_path = os.path.join(shared, name, "tokenizer.json")
        ids_path = os.path.join(tmp, f"{name}.ids")
        ours = json.loads(subprocess.check_output([binary, tok_path, path, "--ids-out", ids_path]))
        hf = Tokenizer.from_file(tok_path)
        single = []
        for _ in range(3):
            t0 = time.perf_counter()
            ref = [hf.encode(d, add_special_tokens=False).ids for d in docs]
            single.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        hf.encode_batch(docs, add_special_tokens=False)
        batch = time.perf_counter() - t0
        got = [json.loads(l) for l in open(ids_path)]
        same = sum(a == b for a, b in zip(got, ref))
        hf_single = mb / min(single)
        print(f"{name}: ids equal to tokenizers on {same}/{len(docs)} documents ({ours['tokens']} tokens)")
        print(f"  ascent, one thread:             {ours['best_mb_s']:7.2f} MB/s (first pass, cold cache: {ours['first_mb_s']:.2f})")
        print(f"  tokenizers {__import__('tokenizers').__version__} encode, one thread: {hf_single:7.2f} MB/s  "
              f"-> ratio ours/theirs {ours['best_mb_s'] / hf_single:.2f}")
        print(f"  tokenizers encode_batch ({os.cpu_count()} cores): {mb / batch:7.2f} MB/s  "
              f"-> ratio {ours['best_mb_s'] / (mb / batch):.2f}")


if __name__ == "__main__":
    main()
