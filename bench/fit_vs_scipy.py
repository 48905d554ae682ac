#!/usr/bin/env python3
"""curve_fit against scipy.optimize.curve_fit on the same data (run by bench/run_fit_bench.sh).

Speed: one run of 100 points (ScaleRL 8B curve, uniform noise +-0.01), the sigmoid fit plus 1,000 residual
bootstrap refits. ascent: bench_fit (median of 5). scipy: curve_fit (method 'trf', the same bounds, started
where a user would: A = max R + 0.05, B = 1, C_mid = median C) and the same residual bootstrap, each refit
started from the full fit (median of 3).
Accuracy: for each published curve and 40 seeds, fit only the first half of the range (51 points) and report
the error of A and of R at the full range, and the SSE, of both fitters side by side.
Usage: fit_vs_scipy.py BENCH_FIT_BINARY
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import curve_fit

CURVES = {"scalerl_8b": (2542, 1.92, 0.610), "scalerl_8b_32k": (11272, 1.89, 0.645), "scout": (4242, 1.65, 0.710)}
R0 = 0.25


def law(c, a, b, c_mid, r0=R0):
    c = np.asarray(c, dtype=float)
    return r0 + (a - r0) / (1 + (c_mid / c) ** b)


def data(c_mid, b, a, seed, n_full=100, half=True):
    rng = np.random.default_rng(seed)
    rng_range = c_mid * 39 ** (1 / b)  # 97.5% of the gain, as in tests/test_curve_fit.cc
    k = np.arange(0, n_full // 2 + 1 if half else n_full + 1)
    c = rng_range * k / n_full
    r = np.where(c > 0, law(np.maximum(c, 1e-9), a, b, c_mid), R0) + rng.uniform(-0.01, 0.01, c.size)
    return c, r, rng_range


def write_csv(path, c, r):
    with open(path, "w") as f:
        f.write("gpu_hours,pass_rate\n")
        for x, y in zip(c, r):
            f.write(f"{float(x)!r},{float(y)!r}\n")


def scipy_fit(c, r, p0=None):
    r0 = r[np.argmin(c)]
    m = c > 0
    cu, ru = c[m], r[m]
    f = lambda x, a, b, cm: law(x, a, b, cm, r0)
    if p0 is None:
        p0 = (min(0.99, ru.max() + 0.05), 1.0, float(np.median(cu)))
    lo = (0.0, 0.05, cu.min() / 1e4)
    hi = (1.0, 20.0, cu.max() * 1e4)
    p, _ = curve_fit(f, cu, ru, p0=p0, bounds=(lo, hi), method="trf", maxfev=10000)
    sse = float(np.sum((f(cu, *p) - ru) ** 2))
    return p, sse, r0, cu, ru


def scipy_fit_bootstrap(c, r, resamples, seed=1):
    p, _, r0, cu, ru = scipy_fit(c, r)
    fitted = law(cu, *p, r0)
    resid = ru - fitted
    inflate = np.sqrt(len(cu) / (len(cu) - 3))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        y = fitted + inflate * rng.choice(resid, len(resid))
        f = lambda x, a, b, cm: law(x, a, b, cm, r0)
        try:
            q, _ = curve_fit(f, cu, y, p0=p, bounds=((0, 0.05, cu.min() / 1e4), (1, 20, cu.max() * 1e4)),
                             method="trf", maxfev=10000)
            draws.append(q)
        except RuntimeError:
            pass
    return p, draws


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp()
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    # Speed.
    c_mid, b, a = CURVES["scalerl_8b"]
    c, r, _ = data(c_mid, b, a, seed=1, n_full=99, half=False)  # 100 points
    path = os.path.join(tmp, "speed.csv")
    write_csv(path, c, r)
    ours = json.loads(subprocess.check_output([binary, path, "--resamples", "1000", "--repeat", "5",
                                               "--threads", str(threads)]))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        scipy_fit_bootstrap(c, r, 1000)
        times.append(time.perf_counter() - t0)
    sp = statistics.median(times) * 1000
    print(f"speed: fit + 1000 bootstrap refits of {ours['n'] - 1} points (+ the start)")
    print(f"  ascent curve_fit ({threads} thread{'s' if threads > 1 else ''}): {ours['ms_median']:9.1f} ms")
    print(f"  scipy {__import__('scipy').__version__} curve_fit (trf):  {sp:9.1f} ms")
    print(f"  ratio scipy / ascent: {sp / ours['ms_median']:.1f}x")

    # Accuracy, side by side.
    print("\naccuracy: first half of the range fitted, 40 seeds per curve; errors against the true curve")
    print(f"{'curve':16s} {'fitter':7s} {'median|dA|':>10s} {'max|dA|':>8s} {'A<=0.02':>8s} {'max|dR(end)|':>12s} "
          f"{'mean sse':>10s}")
    sse_worse = 0
    for name, (c_mid, b, a) in CURVES.items():
        rows = {"ascent": ([], [], []), "scipy": ([], [], [])}
        for seed in range(1, 41):
            c, r, rng_range = data(c_mid, b, a, seed)
            end = float(law(rng_range, a, b, c_mid))
            path = os.path.join(tmp, f"{name}_{seed}.csv")
            write_csv(path, c, r)
            o = json.loads(subprocess.check_output([binary, path, "--resamples", "0", "--repeat", "1",
                                                    "--predict", repr(rng_range)]))
            rows["ascent"][0].append(abs(o["A"] - a))
            rows["ascent"][1].append(abs(o["pred"] - end))
            rows["ascent"][2].append(o["sse"])
            try:
                p, sse, r0, _, _ = scipy_fit(c, r)
                rows["scipy"][0].append(abs(p[0] - a))
                rows["scipy"][1].append(abs(float(law(rng_range, *p, r0)) - end))
                rows["scipy"][2].append(sse)
            except RuntimeError:
                rows["scipy"][0].append(float("inf")), rows["scipy"][1].append(float("inf"))
                rows["scipy"][2].append(float("inf"))
            sse_worse += o["sse"] > rows["scipy"][2][-1] * (1 + 1e-6)
        for fitter, (da, dr, sse) in rows.items():
            print(f"{name:16s} {fitter:7s} {statistics.median(da):10.4f} {max(da):8.4f} "
                  f"{sum(x <= 0.02 for x in da):5d}/40 {max(dr):12.4f} {statistics.mean(sse):10.3e}")
    print(f"\nseeds where ascent's SSE is above scipy's: {sse_worse} of {40 * len(CURVES)}")


if __name__ == "__main__":
    main()
