#!/usr/bin/env bash
# `ascent reward` end to end: a verifier-only recipe, plugins in worker processes (the example plugin and one
# that crashes on an item), HERO-free weighting, on_error, and clear errors for bad recipes and input.
# Usage: reward_cli_test.sh ASCENT FORMAT_PLUGIN MISBEHAVING_PLUGIN SOURCE_DIR
set -euo pipefail
ascent=$1 format_plugin=$2 bad_plugin=$3 src=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

cat >in.jsonl <<'JSONL'
{"prompt": "What is 1/2 + 1/4?", "completion": "The sum is \\boxed{\\frac34}.", "answer": "0.75"}
{"prompt": "What is 1/2 + 1/4?", "completion": "I get 0.7", "answer": "0.75"}
{"prompt": "Solve x+1=4", "completion": "so x = 3, CRASH", "answer": "3"}
{"prompt": "Area?", "completion": "Answer: $36\\pi$", "answer": "36\\pi"}
JSONL

# The minimal recipe: only the verifier.
printf 'rewards:\n  verifier: math\n' >verifier.yaml
"$ascent" reward --recipe verifier.yaml --input in.jsonl >out.jsonl
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("out.jsonl")]
assert [r["reward"] for r in rows] == [1.0, 0.0, 1.0, 1.0], rows
assert rows[0]["verifier"]["extracted"] == "\\frac34" and rows[0]["verifier"]["reason"] == "equivalent", rows[0]
assert rows[3]["verifier"]["extracted"] == "36\\pi", rows[3]
PY

# Verifier as +-1, a format plugin (weight 0.5), and a plugin that crashes on one item (on_error: drop).
cat >plugins.yaml <<YAML
rewards:
  verifier: math
  mapping: pm1
  plugins:
    - name: format
      path: $format_plugin
      weight: 0.5
      config: {marker: "\\\\boxed{", reward: 1.0, penalty: 0.0}
    - name: flaky
      path: $bad_plugin
      weight: 0.0
      timeout_s: 2
      retries: 0
  on_error: drop
YAML
"$ascent" reward --recipe plugins.yaml --input in.jsonl >out.jsonl 2>err.txt
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("out.jsonl")]
assert rows[0]["reward"] == 1.5 and rows[0]["format"]["value"] == 1.0, rows[0]     # +1 verifier, 0.5 format
assert rows[1]["reward"] == -1.0, rows[1]                                          # -1, no \boxed
assert rows[2]["reward"] is None and not rows[2]["ok"], rows[2]                    # the crash drops it ...
assert "flaky: worker crashed: signal 11" in rows[2]["error"], rows[2]["error"]   # ... with the reason
assert rows[3]["ok"] and rows[3]["reward"] == 1.0, rows[3]                         # later items still scored
PY
grep -q "reward/errors/flaky: 1" err.txt || { cat err.txt; fail "error not counted"; }

# on_error: zero keeps the completion with the failed component at 0.
sed 's/on_error: drop/on_error: zero/' plugins.yaml >zero.yaml
"$ascent" reward --recipe zero.yaml --input in.jsonl >out.jsonl
python3 -c '
import json; rows = [json.loads(l) for l in open("out.jsonl")]
assert rows[2]["ok"] and rows[2]["reward"] == 1.0 and "worker crashed" in rows[2]["error"], rows[2]'

# HERO over the verifier and a reward model (the tiny Qwen2 reward model of the reference fixtures); the
# expected rewards are recomputed here from the printed RM scores and verdicts with
# docs/algorithms.md section 6.
cat >hero.yaml <<YAML
rewards:
  verifier: math
  reward_model: {path: $src/tests/fixtures/ref_rm_qwen2}
  hero: {alpha: 0.1, beta: 0.1}
YAML
head -2 in.jsonl >group.jsonl
printf '%s\n' '{"prompt": "What is 1/2 + 1/4?", "completion": "so \\boxed{3/4}", "answer": "0.75"}' \
  '{"prompt": "What is 1/2 + 1/4?", "completion": "clearly \\boxed{1}", "answer": "0.75"}' >>group.jsonl
"$ascent" reward --recipe hero.yaml --input group.jsonl >out.jsonl
python3 - <<'PY'
import json, statistics
rows = [json.loads(l) for l in open("out.jsonl")]
v = [r["verifier"]["value"] for r in rows]
rm = [r["rm"]["value"] for r in rows]
assert v == [1.0, 0.0, 1.0, 0.0], v
for stratum, lo_end in ((1.0, 0.9), (0.0, -0.1)):
    s = [x for x, y in zip(rm, v) if y == stratum]
    lo, hi = min(s), max(s)
    for r, x, y in zip(rows, rm, v):
        if y == stratum:
            want = lo_end + 0.2 * (x - lo) / (hi - lo + 1e-6)
            assert abs(r["reward"] - want) < 1e-9, (r, want)
# One group: sigma_bar equals its sigma_u, so w is the midpoint (0.4 + 3.0) / 2.
assert all(abs(r["hero_weight"] - 1.7) < 1e-12 for r in rows), rows
assert abs(float(rows[0]["hero"]["reason"].split()[1].rstrip(",")) - statistics.stdev(rm)) < 1e-5
PY

# Bad recipes and input: errors name the file, the line and the key.
expect_error() {  # expect_error RECIPE INPUT GREP_PATTERN: ascent reward must fail with that message
  if "$ascent" reward --recipe "$1" --input "$2" >/dev/null 2>err.txt; then fail "$1 / $2 accepted"; fi
  grep -q -- "$3" err.txt || { cat err.txt; fail "the error of $1 / $2 lacks: $3"; }
}
printf 'rewards:\n  verifer: math\n' >typo.yaml
expect_error typo.yaml in.jsonl "typo.yaml:2: rewards.verifer: unknown key"
printf 'rewards:\n  plugins:\n    - name: x\n      weight: heavy\n' >bad.yaml
expect_error bad.yaml in.jsonl "bad.yaml:4: rewards.plugins\[0\].weight: expected a number"
printf 'rewards:\n  hero: {alpha: 0.1}\n' >hero_no_rm.yaml
expect_error hero_no_rm.yaml in.jsonl "HERO needs a reward model"
printf '{"prompt": "p", "completion": "c"}\n{"prompt": "p", "completion": 5}\n' >badin.jsonl
expect_error verifier.yaml badin.jsonl 'badin.jsonl:2: "completion" must be a string'
printf 'rewards:\n  reward_model: {path: %s}\n' "$src/tests/fixtures/ref_qwen2" >lm.yaml
expect_error lm.yaml in.jsonl "rewards.reward_model: .*not a \*ForSequenceClassification"
echo "reward cli: all checks passed"
