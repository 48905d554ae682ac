#!/usr/bin/env bash
# End-to-end checks of the `ascent` binary: init-model (sharded bf16), generate, score, and the error messages
# users see for bad input. Usage: cli_test.sh PATH/TO/ascent
set -uo pipefail
ascent=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
pass=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
contains() { grep -aqF -- "$2" <<<"$1"; }

"$ascent" --help >"$work/help" 2>&1
check "help lists subcommands" grep -q "init-model" "$work/help"

out=$("$ascent" init-model --out "$work/m" --arch qwen3 --preset tiny --dtype bfloat16 --shard-mb 1 2>&1)
check "init-model succeeds" test $? -eq 0
check "sharded index written" test -f "$work/m/model.safetensors.index.json"
check "init-model reports size" contains "$out" "1.0"

out=$("$ascent" generate --model "$work/m" --prompt "2+2=" --batch 3 --max-tokens 12 --seed 7 --threads 1 2>&1)
check "generate succeeds" test $? -eq 0
check "generate prints 3 completions" test "$(grep -ac '^\[[0-9]\] 2+2=' <<<"$out")" -eq 3
check "generate prints tokens/s" contains "$out" "tokens/s"
again=$("$ascent" generate --model "$work/m" --prompt "2+2=" --batch 3 --max-tokens 12 --seed 7 --threads 1 2>&1)
check "generate is reproducible for a seed" test "$(grep -a '^\[' <<<"$out")" == "$(grep -a '^\[' <<<"$again")"
other=$("$ascent" generate --model "$work/m" --prompt "2+2=" --batch 3 --max-tokens 12 --seed 8 --threads 1 2>&1)
check "another seed gives other completions" test "$(grep -a '^\[' <<<"$out")" != "$(grep -a '^\[' <<<"$other")"

# --input: every prompt through continuous batching; prompt i samples with seed + i, so prompt 0's completions
# equal those of --prompt with the same seed, and prompt 1's those of seed + 1.
printf '{"prompt": "2+2=", "id": "a"}\n{"prompt": "1+5="}\n{"prompt": "7-3="}\n' >"$work/prompts.jsonl"
"$ascent" generate --model "$work/m" --input "$work/prompts.jsonl" --batch 3 --max-tokens 12 --seed 7 --slots 4 \
  --threads 1 --output "$work/gen.jsonl" 2>"$work/gen.err"
check "generate --input succeeds" test $? -eq 0
check "generate --input writes 9 completions" test "$(wc -l <"$work/gen.jsonl")" -eq 9
"$ascent" generate --model "$work/m" --prompt "2+2=" --batch 3 --max-tokens 12 --seed 7 --threads 1 \
  --output "$work/alone7" 2>/dev/null
"$ascent" generate --model "$work/m" --prompt "1+5=" --batch 3 --max-tokens 12 --seed 8 --threads 1 \
  --output "$work/alone8" 2>/dev/null
check "generate --input: the same completions as each prompt alone" python3 -c "
import json
rows = [json.loads(l) for l in open('$work/gen.jsonl')]
for pid, f in (('a', '$work/alone7'), ('1', '$work/alone8')):
    alone = [json.loads(l)['ids'] for l in open(f)]
    got = [r for r in rows if r['id'] == pid]
    assert len(got) == 3 and len(alone) == 3, (got, alone)
    for r in got: assert r['ids'] == alone[r['index']], (r, alone)
"
printf '{"prompt": "2+2="}\n{"text": "x"}\n' >"$work/badprompts.jsonl"
err=$("$ascent" generate --model "$work/m" --input "$work/badprompts.jsonl" 2>&1)
check "generate --input names the bad line" contains "$err" "badprompts.jsonl:2:"

printf '{"text": "hello"}\n{"ids": [1, 2, 3, 4]}\n\n{"ids": [9]}\n' >"$work/in.jsonl"
"$ascent" score --model "$work/m" --input "$work/in.jsonl" --output "$work/out.jsonl" --entropy 2>"$work/err"
check "score succeeds" test $? -eq 0
check "score writes one line per sequence" test "$(wc -l <"$work/out.jsonl")" -eq 3
check "score: n-1 log-probs for 'hello'" python3 -c "
import json,sys,math
rows=[json.loads(l) for l in open('$work/out.jsonl')]
assert len(rows[0]['logprobs'])==4 and len(rows[1]['logprobs'])==3 and rows[2]['logprobs']==[]
assert abs(sum(rows[1]['logprobs'])-rows[1]['sum'])<1e-6 and all(x<=0 for x in rows[0]['logprobs'])
assert len(rows[0]['entropy'])==4
"

printf '{"ids": [1, 2]}\n{"ids": [1, 999999]}\n' >"$work/bad.jsonl"
err=$("$ascent" score --model "$work/m" --input "$work/bad.jsonl" 2>&1)
check "bad id fails" test $? -ne 0
check "bad id error names file:line" contains "$err" "bad.jsonl:2:"
printf '{"ids": [1, 2]}\nnot json\n' >"$work/bad2.jsonl"
err=$("$ascent" score --model "$work/m" --input "$work/bad2.jsonl" 2>&1)
check "garbage line error names file:line" contains "$err" "bad2.jsonl:2: not a JSON object"

err=$("$ascent" generate --model "$work/nonexistent" --prompt x 2>&1)
check "missing model fails clearly" contains "$err" "nonexistent/config.json"
err=$("$ascent" init-model --out "$work/x" --arch gpt2 2>&1)
check "unknown arch named" contains "$err" "gpt2"

echo "$pass passed, $fails failed"
test "$fails" -eq 0
