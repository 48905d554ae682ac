#!/usr/bin/env python3
r"""Our math verifier against Hugging Face's math-verify (PyPI) on the same pairs (bench/run_verifier_bench.sh).

Pairs: the hand-labelled corpus (tests/fixtures/verifier/corpus.jsonl) plus generated pairs whose label
comes from construction (exact rational arithmetic in this script): perturbed integers, equivalent and
non-equivalent fractions, fraction/decimal, radicals, reordered sums, factored polynomials, percentages,
thousands separators, tuples, intervals, multiples of pi, scientific notation.
Prints the agreement rate and each side's accuracy against the labels, the throughput of both, and writes
every disagreement to docs/verifier_agreement.md (which side matches the label; the reasons are discussed
there by hand under "Why").
Usage: verifier_vs_math_verify.py BENCH_VERIFIER SOURCE_DIR [--write-doc]
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

from math_verify import parse, verify


def dec(fr):
    """A terminating fraction as a decimal string."""
    s = f"{float(fr):.10f}".rstrip("0").rstrip(".")
    assert Fraction(s) == fr, (fr, s)
    return s


def generate(seed=7):
    rng = random.Random(seed)
    out = []

    def add(kind, gold, answer, equal):
        out.append({"gold": gold, "answer": answer, "equal": equal, "tag": "gen_" + kind})

    for _ in range(50):
        n = rng.randint(-999, 9999)
        add("int", str(n), str(n), True)
        add("int", str(n), str(n + rng.choice([-10, -1, 1, 2, 100])), False)
    for _ in range(50):
        a, b, k = rng.randint(1, 40), rng.randint(2, 40), rng.randint(2, 9)
        add("frac", f"\\frac{{{a}}}{{{b}}}", f"\\frac{{{k * a}}}{{{k * b}}}", True)
        add("frac", f"\\frac{{{a}}}{{{b}}}", f"\\frac{{{a}}}{{{b + 1}}}", Fraction(a, b) == Fraction(a, b + 1))
    for _ in range(50):
        b = rng.choice([2, 4, 5, 8, 10, 16, 20, 25, 40])
        a = rng.randint(1, 5 * b)
        fr = Fraction(a, b)
        add("frac_dec", f"\\frac{{{a}}}{{{b}}}", dec(fr), True)
        wrong = fr + Fraction(rng.choice([1, -1]), 100)
        add("frac_dec", f"\\frac{{{a}}}{{{b}}}", dec(wrong), False)
    for _ in range(50):
        a, b = rng.randint(2, 12), rng.choice([2, 3, 5, 6, 7, 10, 11])
        add("radical", f"\\sqrt{{{a * a * b}}}", f"{a}\\sqrt{{{b}}}", True)
        add("radical", f"\\sqrt{{{a * a * b}}}", f"{a + 1}\\sqrt{{{b}}}", False)
    for _ in range(50):
        terms = [f"{rng.randint(2, 9)}x^{{{p}}}" for p in (3, 2)] + [f"{rng.randint(2, 9)}x", str(rng.randint(1, 20))]
        perm = terms[:]
        rng.shuffle(perm)
        add("sum", " + ".join(terms), " + ".join(perm), True)
        k = rng.randrange(len(terms))
        bad = perm[:]
        bad[perm.index(terms[k])] = "1" + terms[k]  # coefficient 2 -> 12 etc.
        add("sum", " + ".join(terms), " + ".join(bad), False)
    for _ in range(50):
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        add("factor", f"(x+{a})(x+{b})", f"x^2+{a + b}x+{a * b}", True)
        add("factor", f"(x+{a})(x+{b})", f"x^2+{a + b}x+{a * b + 1}", False)
    for _ in range(50):
        p = rng.randint(1, 99)
        add("percent", f"{p}\\%", dec(Fraction(p, 100)), True)
        add("percent", f"{p}\\%", dec(Fraction(p, 1000)), False)
    for _ in range(50):
        n = rng.randint(1000, 9999999)
        add("thousands", str(n), f"{n:,}", True)
        add("thousands", str(n), f"{n + rng.choice([1, 10, 1000]):,}", False)
    for _ in range(50):
        a, b = rng.randint(-20, 20), rng.randint(-20, 20)
        if a == b:
            b += 1
        add("tuple", f"({a},{b})", f"({a}, {b})", True)
        add("tuple", f"({a},{b})", f"({b}, {a})", False)
    for _ in range(50):
        a = rng.randint(-20, 10)
        b = a + rng.randint(1, 20)
        lo, hi = rng.choice("[("), rng.choice("])")
        add("interval", f"{lo}{a},{b}{hi}", f"{lo}{a}, {b}{hi}", True)
        add("interval", f"{lo}{a},{b}{hi}", f"{lo}{a}, {b}{')' if hi == ']' else ']'}", False)
    for _ in range(50):
        a, b = rng.randint(1, 12), rng.randint(2, 12)
        add("pi", f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi", True)
        add("pi", f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a + 1}}}{{{b}}}\\pi", Fraction(a, b) == Fraction(a + 1, b))
    for _ in range(50):
        m, k = rng.randint(11, 99), rng.randint(2, 8)
        add("sci", f"{m / 10} \\times 10^{{{k}}}", str(m * 10 ** (k - 1)), True)
        add("sci", f"{m / 10} \\times 10^{{{k}}}", str(m * 10 ** k), False)
    return out


def ours(binary, pairs, tmp):
    path = os.path.join(tmp, "pairs.jsonl")
    with open(path, "w") as f:
        for p in pairs:
            f.write(json.dumps({"gold": p["gold"], "answer": p["answer"]}) + "\n")
    run = subprocess.run([binary, path, "--repeat", "3"], capture_output=True, text=True, check=True)
    verdicts = [json.loads(l) for l in run.stdout.splitlines()]
    return verdicts, json.loads(run.stderr.strip().splitlines()[-1])


def theirs(pairs):
    verdicts = []
    t0 = time.perf_counter()
    for p in pairs:
        try:
            g, a = parse(f"${p['gold']}$"), parse(f"${p['answer']}$")
            verdicts.append(bool(verify(g, a)))
        except Exception:  # noqa: BLE001 - math-verify raising counts as "not verified"
            verdicts.append(False)
    return verdicts, time.perf_counter() - t0


def main():
    binary, src = sys.argv[1], sys.argv[2]
    corpus = [json.loads(l) for l in open(os.path.join(src, "tests/fixtures/verifier/corpus.jsonl"))]
    gen = generate()
    pairs = corpus + gen
    tmp = tempfile.mkdtemp()
    ov, speed = ours(binary, pairs, tmp)
    tv, their_s = theirs(pairs)
    corpus_speed = ours(binary, corpus, tmp)[1]
    n = len(pairs)
    agree = sum(o["correct"] == t for o, t in zip(ov, tv))
    print(f"pairs: {len(corpus)} hand-labelled + {len(gen)} generated = {n}")
    print(f"agreement with math-verify: {agree}/{n} = {agree / n:.4f}")
    for name, got in (("ascent", [o["correct"] for o in ov]), ("math-verify", tv)):
        for part, rng_ in (("corpus", range(len(corpus))), ("generated", range(len(corpus), n))):
            tp = sum(got[i] and pairs[i]["equal"] for i in rng_)
            fp = sum(got[i] and not pairs[i]["equal"] for i in rng_)
            fn = sum(not got[i] and pairs[i]["equal"] for i in rng_)
            acc = sum(got[i] == pairs[i]["equal"] for i in rng_) / len(rng_)
            print(f"  {name:12s} {part:9s} accuracy {acc:.4f}  false positives {fp:3d}  false negatives {fn:3d}"
                  f"  (precision {tp / max(1, tp + fp):.4f}, recall {tp / max(1, tp + fn):.4f})")
    print(f"throughput: ascent {corpus_speed['answers_per_s']:.0f} answers/s on the corpus "
          f"({speed['answers_per_s']:.0f} on all pairs, one thread); math-verify {n / their_s:.0f} answers/s "
          f"on all pairs; ratio {speed['answers_per_s'] / (n / their_s):.1f}x")
    rows = []
    for p, o, t in zip(pairs, ov, tv):
        if o["correct"] != t:
            right = "ascent" if o["correct"] == p["equal"] else "math-verify"
            rows.append((p["tag"], p["gold"], p["answer"], p["equal"], o["correct"], t, right, o["reason"]))
    print(f"disagreements: {len(rows)} (ascent matches the label in {sum(r[6] == 'ascent' for r in rows)})")
    if "--write-doc" in sys.argv:
        doc = os.path.join(src, "docs/verifier_agreement.md")
        head, sep, why = open(doc).read().partition("<!-- table -->") if os.path.exists(doc) else ("", "", "")
        _, _, tail = why.partition("<!-- end table -->")
        table = ["| tag | gold | answer | label | ascent | math-verify | right | our reason |", "|---|---|---|---|---|---|---|---|"]
        esc = lambda s: s.replace("|", "\\|")
        for r in rows:
            table.append(f"| {r[0]} | `{esc(r[1])}` | `{esc(r[2])}` | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {esc(r[7])} |")
        with open(doc, "w") as f:
            f.write(head + "<!-- table -->\n" + "\n".join(table) + "\n<!-- end table -->" + tail)
        print(f"wrote {doc}")
        with open(os.path.join(src, "tests/fixtures/verifier/generated.jsonl"), "w") as f:
            for p in gen:
                f.write(json.dumps(p) + "\n")


if __name__ == "__main__":
    main()
