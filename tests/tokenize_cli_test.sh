#!/usr/bin/env bash
# `ascent tokenize`: encode, decode back, special tokens, and errors naming file:line.
# Usage: tokenize_cli_test.sh ASCENT SOURCE_DIR
set -euo pipefail
ascent=$1 src=$2
tok=$src/tests/fixtures/tokenizer/qwen3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
# The reference ids of the corpus (tokenizers library) through the CLI.
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.dumps({"text": json.loads(l)["text"]}, ensure_ascii=False))' "$src/tests/fixtures/tokenizer/corpus.jsonl" >texts.jsonl
"$ascent" tokenize --tokenizer "$tok" --input texts.jsonl >ids.jsonl
"$ascent" tokenize --tokenizer "$tok/tokenizer.json" --input ids.jsonl --decode >back.jsonl
python3 - "$src/tests/fixtures/tokenizer/corpus.jsonl" <<'PY'
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1])]
ids = [json.loads(l)["ids"] for l in open("ids.jsonl")]
back = [json.loads(l)["text"] for l in open("back.jsonl")]
assert len(ids) == len(ref), (len(ids), len(ref))
for r, i, b in zip(ref, ids, back):
    assert i == r["qwen3"], (r["text"], i, r["qwen3"])
    assert b == r["qwen3_decoded"], (b, r["qwen3_decoded"])
print(f"{len(ids)} lines: ids equal to the tokenizers library, decoded back")
PY
printf '{"ids": [9707, 151645]}\n' >special.jsonl
"$ascent" tokenize --tokenizer "$tok" --input special.jsonl --decode --skip-special-tokens | grep -q '^{"text":"Hello"}$' || fail "skip special"
printf '{"text": "ok"}\n{"txt": "bad"}\n' >bad.jsonl
if "$ascent" tokenize --tokenizer "$tok" --input bad.jsonl >/dev/null 2>err.txt; then fail "bad line accepted"; fi
grep -q 'bad.jsonl:2: needs "text"' err.txt || { cat err.txt; fail "error lacks file:line"; }
printf '{"ids": [1, 999999999]}\n' >badids.jsonl
if "$ascent" tokenize --tokenizer "$tok" --input badids.jsonl --decode >/dev/null 2>err.txt; then fail "bad id accepted"; fi
grep -q 'badids.jsonl:1: "ids" holds 999999999, not a token id' err.txt || { cat err.txt; fail "bad id error"; }
echo "tokenize cli: checks passed"

# generate and score take text through the model directory's tokenizer.json: a tiny Qwen3 with the real
# vocabulary scores {"text"} exactly as it scores the tokenizers library's ids for that text.
"$ascent" init-model --out model --arch qwen3 --preset tiny --vocab 151936 --dtype bfloat16 >/dev/null
cp "$tok/tokenizer.json" "$tok/tokenizer_config.json" model/
python3 - "$src/tests/fixtures/tokenizer/corpus.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:6]
with open("by_text.jsonl", "w") as a, open("by_ids.jsonl", "w") as b:
    for r in rows:
        if len(r["qwen3"]) < 2:
            continue
        a.write(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n")
        b.write(json.dumps({"ids": r["qwen3"]}) + "\n")
PY
"$ascent" score --model model --input by_text.jsonl >s_text.jsonl
"$ascent" score --model model --input by_ids.jsonl >s_ids.jsonl
cmp -s s_text.jsonl s_ids.jsonl || fail "score on text differs from score on the reference ids"
"$ascent" generate --model model --prompt "Hello, 世界" --max-tokens 4 --seed 1 >gen.txt
grep -q "^\[0\] Hello, 世界" gen.txt || { cat gen.txt; fail "generate did not echo the prompt through the tokenizer"; }
# The chat template: {"messages"} scores as the text transformers' apply_chat_template renders for them.
python3 - "$src/tests/fixtures/chat/reference.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["family"] == "qwen3" and not r["add_generation_prompt"]][:4]
with open("chat_msgs.jsonl", "w") as a, open("chat_text.jsonl", "w") as b:
    for r in rows:
        assert all(set(m) == {"role", "content"} for m in r["messages"]), r  # the first four cases
        a.write(json.dumps({"messages": r["messages"]}, ensure_ascii=False) + "\n")
        b.write(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n")
PY
"$ascent" score --model model --input chat_msgs.jsonl >s_msgs.jsonl
"$ascent" score --model model --input chat_text.jsonl >s_chat_text.jsonl
cmp -s s_msgs.jsonl s_chat_text.jsonl || fail "score on messages differs from score on the rendered template"
"$ascent" generate --model model --chat --system "Be brief." --prompt "Hi" --max-tokens 2 --seed 1 >chat_gen.txt
grep -q "^\[0\] <|im_start|>system$" chat_gen.txt || { cat chat_gen.txt; fail "generate --chat did not render the template"; }
grep -q "^<|im_start|>assistant$" chat_gen.txt || { cat chat_gen.txt; fail "no generation prompt"; }
echo "generate/score through tokenizer.json and the chat template: ok"
