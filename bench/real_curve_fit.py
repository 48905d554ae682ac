#!/usr/bin/env python3
"""Half-run predictions on real RL curves: ascent fit against scipy's curve_fit (bench/run_real_curve_bench.sh).

Each curve in bench/real_curves/curves.json (a run's validation points: held-out pass rate against
compute/device_hours) is fitted on its first half (the points with compute <= half the last point's) and
scored on its end: the mean pass rate of its last 3 validations, at the mean compute of those 3.
  ascent: `ascent fit HALF.csv --predict C_END --json` (the CSV's samples column: N per point), with c_min 0
          and with --c-min auto; the
          interval for the end is the curve's interval widened by the noise of a mean of 3 validations:
          value -/+ sqrt(half-width^2 + critical * sigma^2 / 3) (sigma, critical from the JSON's "noise").
          A prediction the fitter declines (not pinned, or no fit at all) is counted as declined.
  scipy:  scipy.optimize.curve_fit on the same law with R0 held at the measured start (as ascent), the same
          bounds (A in [0, 1], B in [0.05, 20]), started at A = max R + 0.05, B = 1, C_mid = median C; the
          95% interval by the delta method on its covariance (t quantile, residual dof) widened the same way.
          It never declines; a failed fit counts as declined.
A run that collapsed in its second half (its end more than 0.1 below its best validation before the last 3:
the policy broke,
which no fit of the first half can foresee) is marked and scored apart: the law describes a run that keeps
working, and the learner's live fit flags the fall itself (a validation below the fit's interval, docs/
curve_fit.md).
Reported per method, over the curves that did not collapse and over every curve: curves predicted, declined,
median |error| of the predicted end and the coverage of the 95% intervals over the predicted curves.
The same scoring on synthetic curves after it: ScaleRL's three published fits (C_mid, B, A; R0 0.25), 31
validations over the compute where the curve has made 97.5% of its gain, each a binomial mean over 800
samples (the quickstart's 200 prompts x 4), 20 seeds each.
Usage: real_curve_fit.py ASCENT_BINARY [CURVES_JSON [OUT_JSON]]"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit


def read_curve(path, samples):
    C, R, N = [], [], []
    for line in open(path):
        d = json.loads(line)
        if "val/pass_rate" in d:
            C.append(d["compute/device_hours"])
            R.append(d["val/pass_rate"])
            N.append(d.get("val/samples", samples))
    return np.array(C), np.array(R), np.array(N, dtype=float)


def split(C, R):
    half = C[-1] / 2
    k = C <= half
    return C[k], R[k], float(np.mean(C[-3:])), float(np.mean(R[-3:]))


def widen(value, lo, hi, extra):
    return max(0.0, value - math.sqrt((value - lo) ** 2 + extra)), min(1.0, value + math.sqrt((hi - value) ** 2 + extra))


def ascent_predict(binary, C, R, N, c_end, c_min):
    with tempfile.TemporaryDirectory() as tmp:
        csv, js = os.path.join(tmp, "half.csv"), os.path.join(tmp, "fit.json")
        with open(csv, "w") as f:
            f.write("gpu_hours,pass_rate,samples\n")
            for c, r, n in zip(C, R, N):
                f.write(f"{float(c)!r},{float(r)!r},{float(n)!r}\n")
        p = subprocess.run([binary, "fit", csv, "--predict", repr(c_end), "--c-min", c_min, "--json", js],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return {"declined": True, "why": p.stderr.strip().splitlines()[-1]}
        j = json.load(open(js))
    pred, noise = j["prediction"], j["noise"]
    sigma = math.inf if noise["sigma"] is None else noise["sigma"]  # JSON null: no noise estimate
    lo, hi = widen(pred["value"], pred["lo"], pred["hi"], noise["critical"] * sigma ** 2 / 3)
    return {"value": pred["value"], "lo": lo, "hi": hi, "declined": not pred["pinned"], "why": pred["why_not"]}


def scipy_predict(C, R, c_end, level=0.95):
    r0 = R[0]
    Cf, Rf = C[C > 0], R[C > 0]

    def law(c, a, b, c_mid):
        return r0 + (a - r0) / (1 + (c_mid / c) ** b)

    try:
        p0 = [min(1.0, max(Rf) + 0.05), 1.0, float(np.median(Cf))]
        popt, pcov = curve_fit(law, Cf, Rf, p0=p0, bounds=([0, 0.05, 1e-12], [1, 20, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError) as e:
        return {"declined": True, "why": f"curve_fit: {e}"}
    value = float(law(c_end, *popt))
    eps = 1e-6
    g = np.array([(law(c_end, *(popt + eps * max(1, abs(p)) * np.eye(3)[i])) - value) / (eps * max(1, abs(p)))
                  for i, p in enumerate(popt)])
    dof = len(Cf) - 3
    if dof <= 0 or not np.all(np.isfinite(pcov)):
        return {"declined": True, "why": "no residual degrees of freedom / no covariance"}
    s2 = float(np.sum((law(Cf, *popt) - Rf) ** 2)) / dof
    t = stats.t.ppf((1 + level) / 2, dof)
    half = t * math.sqrt(max(0.0, float(g @ pcov @ g)) + s2 / 3)
    return {"value": value, "lo": value - half, "hi": value + half, "declined": False, "why": ""}


def summary(name, rows):
    print(f"{name}:")
    out = {}
    healthy = [r for r in rows if not r["collapsed"]]
    if len(healthy) < len(rows):
        out["not collapsed"] = summary_of("  not collapsed", healthy)
    out["every curve"] = summary_of("  every curve", rows)
    return out


def summary_of(name, rows):
    pred = [r for r in rows if not r["declined"]]
    errs = [abs(r["value"] - r["end"]) for r in pred]
    cover = sum(r["lo"] <= r["end"] <= r["hi"] for r in pred)
    med = statistics.median(errs) if errs else float("nan")
    print(f"{name:<16} predicted {len(pred):2d} of {len(rows):2d}, declined {len(rows) - len(pred):2d}: "
          f"median |error| {med:.3f}, 95% intervals covering the end {cover}/{len(pred)} = "
          f"{cover / max(1, len(pred)):.0%}")
    return {"predicted": len(pred), "curves": len(rows), "median_abs_error": med, "coverage": cover / max(1, len(pred))}


def main():
    binary = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    index = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "real_curves", "curves.json")
    curves = json.load(open(index))["curves"]
    methods = {"ascent": lambda *a: ascent_predict(binary, *a[:3], a[3], "0"),
               "ascent c_min auto": lambda *a: ascent_predict(binary, *a[:3], a[3], "auto"),
               "scipy curve_fit": lambda C, R, N, c_end: scipy_predict(C, R, c_end)}
    rows = {m: [] for m in methods}
    print(f"{'curve':<30} {'pts':>3} {'half':>4} {'end':>6}   " +
          "   ".join(f"{m:<28}" for m in methods))
    for cv in curves:
        C, R, N = read_curve(os.path.join(os.path.dirname(index), cv["file"]), cv["samples"])
        Ch, Rh, c_end, r_end = split(C, R)
        collapsed = bool(r_end < max(R[:-3]) - 0.1)
        Nh = N[:len(Ch)]
        cells = []
        for m, f in methods.items():
            r = f(Ch, Rh, Nh, c_end)
            r["end"], r["curve"], r["collapsed"] = r_end, cv["file"], collapsed
            rows[m].append(r)
            if "value" not in r:
                cells.append(f"{'no fit':<28}")
            else:
                mark = "declined" if r["declined"] else ("in" if r["lo"] <= r_end <= r["hi"] else "OUT")
                cells.append(f"{r['value']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}] {mark:<8}")
        name = cv["file"].replace(".metrics.jsonl", "")
        name += " (collapsed)" if collapsed else ""
        print(f"{name:<30} {len(C):3d} {len(Ch):4d} {r_end:6.3f}   " + "   ".join(cells))
    print()
    out = {m: summary(m, rows[m]) for m in methods}
    for m in methods:
        for r in rows[m]:
            if r["declined"]:
                print(f"{m}: {r['curve']}: declined: {r['why']}")
    synth = synthetic(methods)
    if len(sys.argv) > 3:
        json.dump({"real": out, "synthetic": synth, "rows": rows}, open(sys.argv[3], "w"), indent=1)


SYNTHETIC = {"scalerl_8b": (2542, 1.92, 0.610), "scalerl_8b_32k": (11272, 1.89, 0.645), "scout": (4242, 1.65, 0.710)}


def synthetic(methods, seeds=20, samples=800):
    rows = {m: [] for m in methods}
    for name, (c_mid, b, a) in SYNTHETIC.items():
        end_c = c_mid * 39 ** (1 / b)
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            C = end_c * np.arange(31) / 30
            q = np.where(C > 0, 0.25 + (a - 0.25) / (1 + (c_mid / np.maximum(C, 1e-9)) ** b), 0.25)
            R = rng.binomial(samples, q) / samples
            N = np.full(C.size, float(samples))
            Ch, Rh, c_end, r_end = split(C, R)
            for m, f in methods.items():
                r = f(Ch, Rh, N[:len(Ch)], c_end)
                r["end"], r["curve"], r["collapsed"] = r_end, f"{name} seed {seed}", False
                rows[m].append(r)
    print(f"\nsynthetic: {len(SYNTHETIC)} ScaleRL curves x {seeds} seeds, binomial validations over {samples} samples")
    return {m: summary(m, rows[m]) for m in methods}


if __name__ == "__main__":
    main()
