#!/usr/bin/env bash
# `ascent fit` end to end on files: metrics.jsonl and CSV input, the table, --json (checked with python3's json
# against the curves the data were drawn from), --compare, --plot, and clear errors on bad input.
# Usage: fit_cli_test.sh ASCENT SOURCE_DIR
set -euo pipefail
ascent=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$src/examples/fit/make_demo_runs.py" runs

fail() { echo "FAIL: $*"; exit 1; }
expect_error() {  # expect_error "message part" ascent-args...
  local want=$1; shift
  if "$ascent" "$@" >out.txt 2>err.txt; then fail "ascent $* succeeded"; fi
  grep -qF -- "$want" err.txt || { cat err.txt; fail "error of 'ascent $*' lacks '$want'"; }
}

"$ascent" fit base=runs/scalerl_8b.jsonl b512=runs/batch512.jsonl --compare --predict 16000 --resamples 300 \
  --json fit.json --plot fit.svg >table.txt
cat table.txt
grep -q "^base " table.txt || fail "table has no row for run 'base'"
grep -q "^verdict: " table.txt || fail "no verdict"
test -s fit.svg && test -s fit.html || fail "plot files missing"
python3 - <<'PY'
import json
j = json.load(open("fit.json"))
runs = {r["label"]: r for r in j["runs"]}
# Truths the data were drawn from (make_demo_runs.py): 8B A 0.610, batch-512 A 0.605, R(16000) from the law.
law = lambda c, a, b, m: 0.25 + (a - 0.25) / (1 + (m / c) ** b)
for label, (m, b, a) in {"base": (2542, 1.92, 0.610), "b512": (2818, 1.77, 0.605)}.items():
    f = runs[label]["fit"]
    for k in ("A", "B", "C_mid", "R0"):
        assert f[k]["lo"] <= f[k]["value"] <= f[k]["hi"], (label, k, f[k])
    assert abs(f["A"]["value"] - a) <= 0.02, (label, f["A"])
    p = runs[label]["prediction"]
    assert p["C"] == 16000 and abs(p["value"] - law(16000, a, b, m)) <= 0.02, (label, p)
    assert runs[label]["n_points"] == 39, runs[label]["n_points"]   # 40 validations, the C = 0 start not fitted
    assert f["a_run_to_run"] == 0.02
c = j["comparisons"][0]
# A 0.610 vs 0.605 is within 0.02: shared-A refit, and the 8B curve (B 1.92, C_mid 2542) is the efficient one.
assert c["tie_on_a"] and c["winner"] == "base", c
print("json ok")
PY
grep -q '<polyline class="extrapolation"' fit.svg || fail "no dashed extrapolation in the SVG"
grep -q '<svg' fit.html || fail "the HTML page does not hold the SVG"
! grep -qE '<script|src="http|href="http' fit.html || fail "the HTML page is not self-contained"

# CSV, aliases (pass_rate for val/pass_rate), c_min, one run: fit and prediction at the top level.
"$ascent" fit runs/scout.csv --c-min 1500 --predict 25000 --resamples 200 --json scout.json >/dev/null
python3 -c '
import json; j = json.load(open("scout.json"))
assert abs(j["fit"]["A"]["value"] - 0.710) <= 0.02, j["fit"]["A"]
assert j["prediction"]["C"] == 25000 and j["runs"][0]["n_points"] == 45, j["runs"][0]["n_points"]'

# Seeds of one recipe: two files in one RUN.
"$ascent" fit "both=runs/scalerl_8b.jsonl,runs/batch512.jsonl" --resamples 100 >seeds.txt
grep -q "over runs and points" seeds.txt || fail "several seeds were not bootstrapped over runs"

# Bad input: each error names the file, the line or the column.
expect_error "no column 'reward'" fit runs/scout.csv --y reward
printf 'gpu_hours,pass_rate\n0,0.2\n100,0.3,7\n' >cells.csv
expect_error "cells.csv:3: 3 cells, the header has 2" fit cells.csv
head -3 runs/scalerl_8b.jsonl >bad.jsonl && echo '{"step": 3, "val/pass_rate": 0.3, oops}' >>bad.jsonl
expect_error "bad.jsonl:4: not a JSON object" fit bad.jsonl
printf 'gpu_hours,pass_rate\n0,0.2\n100,0.3\n' >short.csv
expect_error "only 1 point with compute > 0" fit short.csv
printf 'gpu_hours,pass_rate\n0,0.3\n100,0.3\n200,0.3\n300,0.3\n' >flat.csv
expect_error "flat" fit flat.csv
printf 'gpu_hours,pass_rate\n0,0.2\n-5,0.3\n200,0.3\n300,0.4\n' >neg.csv
expect_error "negative compute" fit neg.csv
expect_error "cannot open" fit missing.jsonl
expect_error "--compare needs at least two runs" fit runs/scout.csv --compare
# A NaN cell is left out with a warning naming file:line, and the rest is fitted.
python3 -c '
lines = open("runs/scout.csv").read().splitlines(); lines[10] = lines[10].split(",")[0] + ",nan"
open("nan.csv", "w").write("\n".join(lines) + "\n")'
"$ascent" fit nan.csv --resamples 50 >nan.txt 2>nan.err || fail "a NaN cell stopped the fit"
grep -q "nan.csv:11: .*not a finite number: point left out" nan.err || { cat nan.err; fail "no warning for the NaN cell"; }
# A CPU run of ascent train logs compute/device_hours (no GPU-hours): the default x falls back to it, and the
# fit equals the one of the same numbers under compute/gpu_hours.
python3 -c '
import json
rows = [json.loads(l) for l in open("runs/scalerl_8b.jsonl")]
with open("cpu.jsonl", "w") as f:
    for r in rows:
        if "compute/gpu_hours" in r: r["compute/device_hours"] = r.pop("compute/gpu_hours")
        f.write(json.dumps(r) + "\n")'
"$ascent" fit runs/scalerl_8b.jsonl --resamples 50 --json gpu.json >/dev/null || fail "fit of gpu_hours"
"$ascent" fit cpu.jsonl --resamples 50 --json cpu.json >/dev/null || fail "fit of device_hours"
python3 -c '
import json
a, b = json.load(open("gpu.json"))["runs"][0], json.load(open("cpu.json"))["runs"][0]
assert a["fit"] == b["fit"], (a["fit"], b["fit"])' || fail "device_hours fit differs from gpu_hours fit"
# Real curves (bench/real_curves, made with ascent): the first half of a run fitted, its end predicted.
# chain_sum barely moved in its first half (0.0375 -> 0.05): the table must decline the prediction, not print a
# narrow interval. The quickstart's first half pins its end: the measured end lies in the interval.
python3 - "$src/bench/real_curves" <<'PY'
import json, sys
for name in ("smollm2_chain_sum", "quickstart_1e-4_s1"):
    rows = [json.loads(l) for l in open(f"{sys.argv[1]}/{name}.metrics.jsonl")]
    C = [r["compute/device_hours"] for r in rows]
    with open(f"{name}.csv", "w") as f:
        f.write("gpu_hours,pass_rate,samples\n")
        for r in rows:
            if r["compute/device_hours"] <= C[-1] / 2:
                f.write(f'{r["compute/device_hours"]},{r["val/pass_rate"]},{r["val/samples"]}\n')
    end = sum(r["val/pass_rate"] for r in rows[-3:]) / 3
    open(f"{name}.end", "w").write(f"{sum(C[-3:]) / 3} {end}\n")
PY
read -r c_end r_end <smollm2_chain_sum.end
"$ascent" fit smollm2_chain_sum.csv --predict "$c_end" --resamples 200 --json cs.json >cs.txt
cat cs.txt
grep -q "not pinned \[" cs.txt || fail "the table does not say that chain_sum's end is not pinned"
grep -q "^smollm2_chain_sum: no prediction at C = " cs.txt || fail "no line saying why there is no prediction"
read -r c_end r_end <quickstart_1e-4_s1.end
"$ascent" fit quickstart_1e-4_s1.csv --predict "$c_end" --resamples 200 --json qs.json >qs.txt
python3 - "$r_end" <<'PY' || fail "the quickstart's half-run prediction"
import json, sys
end = float(sys.argv[1])
cs, qs = json.load(open("cs.json")), json.load(open("qs.json"))
assert cs["prediction"]["pinned"] is False and "wider than" in cs["prediction"]["why_not"], cs["prediction"]
p = qs["prediction"]
assert p["pinned"] is True and p["hi"] - p["lo"] <= 0.2, p
assert p["one_validation"]["lo"] <= end <= p["one_validation"]["hi"], (p, end)
assert abs(p["value"] - end) <= 0.05, (p, end)
assert qs["noise"]["binomial"] is True, qs["noise"]
PY
# --c-min auto: ScaleRL's rule, 0.2 x the largest compute.
"$ascent" fit quickstart_1e-4_s1.csv --c-min auto --resamples 50 --json auto.json >/dev/null
python3 -c '
import json
j = json.load(open("auto.json")); cmax = max(float(l.split(",")[0]) for l in open("quickstart_1e-4_s1.csv").readlines()[1:])
assert abs(j["c_min"] - 0.2 * cmax) <= 1e-12 * cmax, (j["c_min"], cmax)' || fail "--c-min auto"
expect_error "--c-min is a compute or auto" fit quickstart_1e-4_s1.csv --c-min soon
echo "fit cli: all checks passed"
