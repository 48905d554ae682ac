#!/usr/bin/env python3
"""Writes the committed seed corpus of every libFuzzer target (fuzz/corpus/<target>/): small valid inputs of
each format, made here by hand from the formats' specifications (safetensors, GGUF v3, protobuf text format
through protoc) or copied from the repository's fixtures. Run from the repository root; the files are
committed, so this runs only when a format or a target changes."""
import json
import os
import struct
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


# Recipes: the shipped ones, and one with every section.
for r in ("quickstart.yaml", "grpo_tcr.yaml", "hero.yaml", "quickstart_lora.yaml", "agent_tcr.yaml"):
    put("fuzz_recipe", r, read(os.path.join("recipes", r)))

# config.json of each family.
for fam in ("llama", "qwen2", "qwen3"):
    put("fuzz_model_config", f"{fam}.json", read(f"tests/fixtures/ref_{fam}/config.json"))


# safetensors: 8-byte little-endian header length, the JSON header, the data.
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


put("fuzz_safetensors", "f32_bf16_f16.safetensors", safetensors(
    [("a", "F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)), ("b", "BF16", [3], struct.pack("<3H", 0x3F80, 0xC000, 0)),
     ("c", "F16", [2], struct.pack("<2H", 0x3C00, 0x7C00))], {"format": "pt"}))
put("fuzz_safetensors", "empty_tensor.safetensors", safetensors([("z", "F32", [0, 4], b"")]))


# GGUF v3: magic, version, tensor count, kv count; kvs (string key, u32 type, value); tensor infos (name,
# n_dims, ne[], type, offset); padding to general.alignment (32); the data.
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gkv_str(k, v):
    return gstr(k) + struct.pack("<I", 8) + gstr(v)


def gkv_u32(k, v):
    return gstr(k) + struct.pack("<II", 4, v)


def gkv_f32(k, v):
    return gstr(k) + struct.pack("<If", 6, v)


def gkv_arr_str(k, items):
    return gstr(k) + struct.pack("<IIQ", 9, 8, len(items)) + b"".join(gstr(s) for s in items)


def gkv_arr_i32(k, items):
    return gstr(k) + struct.pack("<IIQ", 9, 5, len(items)) + b"".join(struct.pack("<i", x) for x in items)


def gguf(kvs, tensors):
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    data, infos = b"", b""
    for name, ne, typ, raw, *offset in tensors:  # an explicit offset (a 5th element) makes a broken file
        data += b"\0" * ((32 - len(data) % 32) % 32)
        infos += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<IQ", typ, offset[0] if offset else len(data))
        data += raw
    body = head + infos
    body += b"\0" * ((32 - len(body) % 32) % 32)
    return body + data


tokens = ["!", "a", "b", "ab", "<|im_start|>", "<|im_end|>"]
q8_0 = struct.pack("<e", 0.5) + bytes(range(32))          # one Q8_0 block: f16 scale, 32 int8
q4_1 = struct.pack("<ee", 0.25, -1.0) + bytes(range(16))  # one Q4_1 block: f16 d, f16 m, 32 nibbles
put("fuzz_gguf", "llama_tiny.gguf", gguf(
    [gkv_str("general.architecture", "llama"), gkv_u32("general.alignment", 32),
     gkv_u32("llama.block_count", 1), gkv_u32("llama.embedding_length", 32), gkv_f32("llama.rope.freq_base", 1e5),
     gkv_str("tokenizer.ggml.model", "gpt2"), gkv_str("tokenizer.ggml.pre", "smollm"),
     gkv_arr_str("tokenizer.ggml.tokens", tokens), gkv_arr_i32("tokenizer.ggml.token_type", [1, 1, 1, 1, 3, 3]),
     gkv_arr_str("tokenizer.ggml.merges", ["a b"]), gkv_u32("tokenizer.ggml.eos_token_id", 5),
     gkv_str("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}")],
    [("f32", [8], 0, struct.pack("<8f", *range(8))), ("q8", [32], 8, q8_0), ("q41", [32], 3, q4_1)]))

# tokenizer.json: a byte-level BPE of a few tokens, with an added token and a post-processor.
vocab = {"!": 0, "a": 1, "b": 2, "ab": 3, "Ġ": 4, "Ġa": 5}
tok = {"version": "1.0", "added_tokens": [{"id": 6, "content": "<|end|>", "special": True, "lstrip": False,
                                            "rstrip": False, "normalized": False}],
       "normalizer": {"type": "NFC"},
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
       "post_processor": None, "decoder": {"type": "ByteLevel"},
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                 "vocab": vocab, "merges": ["a b", "Ġ a"]}}
put("fuzz_tokenizer_load", "tiny_bpe.json", json.dumps(tok))

# Text for the Qwen3 tokenizer: lines of the multilingual / code / emoji corpus.
with open(os.path.join(ROOT, "tests/fixtures/tokenizer/corpus.jsonl")) as f:
    for i, line in enumerate(f):
        if i >= 12:
            break
        put("fuzz_tokenizer_encode", f"corpus_{i}.txt", json.loads(line)["text"])

# The verifier: completion NUL gold.
for i, (c, g) in enumerate([("The answer is \\boxed{\\frac{1}{2}}", "0.5"), ("so x = 3, y = -2", "(3,-2)"),
                            ("$\\sqrt{8}$", "2\\sqrt{2}"), ("\\boxed{\\{1,2\\}}", "\\{2,1\\}"),
                            ("answer: 1e3", "1000"), ("\\boxed{x^2+2x+1}", "(x+1)^2"),
                            ("\\boxed{\\pi/2}", "90^\\circ"), ("\\boxed{[0, \\infty)}", "x \\geq 0")]):
    put("fuzz_math_verify", f"pair_{i}.txt", c + "\0" + g)

# Tool calls in both formats, with calculator expressions (fuzz_tool_calls).
for i, t in enumerate([
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "(12+3)*7/2"}}\n</tool_call>',
        'Let me check.\n<tool_call>{"name": "calculator", "arguments": "{\\"expression\\": \\"2^10\\"}"}</tool_call>'
        '<tool_call>{"name": "python", "arguments": {"code": "print(1)"}}</tool_call>',
        '<|python_tag|>{"name": "calculator", "parameters": {"expression": "0.1+0.2"}}',
        '{"name": "calculator", "parameters": {"expression": "-3^2 / (4 - 4)"}}',
        '<tool_call>{"name": "calculator", "arguments": {"expression": "1+',
        '99999999999999999999*99999999999999999999']):
    put("fuzz_tool_calls", f"call_{i}.txt", t)

# Groups and train batches in protobuf's binary form, from the text form through protoc.
group = """incarnation: "actor-0/1" seq: 3 lease: 7 prompt: [1, 2, 3] step: 2 prompt_id: "p7"
completions { tokens: [4, 5] logprobs: [-0.5, -1.25] versions: [2, 2] reward: 1 reward_ok: true
  finish_reason: "stop" correct: true components { key: "verifier" value: 1 } }
completions { tokens: [6] logprobs: [-2] versions: [1] reward: 0 reward_ok: true finish_reason: "length" }
has_hero_sigma: true hero_sigma: 0.3"""
for name, msg, text in (("group.bin", "Group", group),
                        ("train_batch.bin", "TrainBatch", f"step: 2 groups {{ {group} }} weights: [1]")):
    r = subprocess.run(["protoc", f"--encode=ascent.rollout.v1.{msg}", "-I", ROOT, "proto/rollout.proto"],
                       input=text.encode(), capture_output=True, check=True)
    put("fuzz_rollout_group", name, r.stdout)

put("fuzz_prompt_data", "prompts.jsonl",
    '{"prompt": "1+1=", "answer": "2"}\n{"prompt": "x", "answer": 3, "id": 9, "metadata": {"a": [1, {"b": null}]}}\n'
    '\n{"prompt": "\\u00e9\\ud83d\\ude00", "id": "e"}\n')
# Chat templates: each real template under tests/fixtures/chat_templates with three of its reference
# conversations (template, NUL, the messages as JSON), and templates that misbehave on purpose.
chat = json.loads(read("tests/fixtures/chat_templates/reference.json"))
for fam in sorted(os.listdir(os.path.join(ROOT, "tests/fixtures/chat_templates"))):
    cfg = os.path.join("tests/fixtures/chat_templates", fam, "tokenizer_config.json")
    if not os.path.exists(os.path.join(ROOT, cfg)):
        continue
    tmpl = json.loads(read(cfg))["chat_template"]
    tmpl = tmpl if isinstance(tmpl, str) else next(t["template"] for t in tmpl if t["name"] == "default")
    for i in (0, 5, len(chat["cases"]) - 1):
        put("fuzz_chat_template", f"{fam}_{i}.txt", tmpl + "\0" + json.dumps(chat["cases"][i]["messages"]))
for name, tmpl in (("loop_forever", "{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}"),
                   ("huge_text", "{{ 'x' * 100000000 }}"), ("huge_alloc", "{{ ('x' * 5000000000) | length }}"),
                   ("lone_surrogate", "{{ '\\udc80' }}"), ("raises", "{{ raise_exception('roles must alternate') }}"),
                   ("raises_surrogate", "{{ raise_exception('\\udc80') }}"),
                   ("syntax_error", "{% for m in messages %}"), ("newline_in_text", "a\nb{{ messages | tojson }}")):
    put("fuzz_chat_template", f"{name}.txt", tmpl)
# What fuzzing found (each also a test in tests/): kept in the corpus, so that every run replays them first.
put("fuzz_recipe", "found_map_as_key.yaml", "model: {path: m}\n? {a: 1}\n: 2\n")
put("fuzz_tokenizer_load", "found_no_model.json", json.dumps({k: v for k, v in tok.items() if k != "model"}))
put("fuzz_tokenizer_load", "found_bare_sequence.json",
    json.dumps(dict(tok, pre_tokenizer={"type": "Sequence"})))
put("fuzz_math_verify", "found_complex_power.txt", "\\boxed{1}\0" + "3e10^i")
put("fuzz_math_verify", "found_zero_to_zero.txt", "\\boxed{0^0}\0" + "0^{-2}")
put("fuzz_gguf", "found_offset_near_2_64.gguf", gguf(
    [gkv_str("general.architecture", "llama"), gkv_u32("general.alignment", 32)],
    [("ok", [8], 0, struct.pack("<8f", *range(8))), ("far", [8], 99, b"", 2 ** 64 - 1)]))
print("corpus written under", OUT)
