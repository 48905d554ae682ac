#!/usr/bin/env python3
"""Exports a reasoning-gym task to the JSONL prompt files `ascent train` reads (docs/recipes.md, data.train).

One line per item: {"id": "<task>-<i>", "prompt": question, "answer": answer, "metadata": the item's own
metadata}. The metadata travels with the prompt to the rewards (proto/reward.proto's metadata_json), where
examples/reasoning_gym/reward_server.py hands the whole item back to the task's own scorer. The training and
validation files come from one seeded dataset: its first `size` items train, and the items after them whose
question is neither in the training file nor already held out fill the validation file (up to
validation_size; the dataset is drawn up to 5x that many extra items to find them), so held-out means held
out even for tasks with few distinct questions.

  python3 examples/reasoning_gym/export.py --task chain_sum --size 20000 --validation-size 200 --seed 1 \\
      --config '{"min_terms": 3, "max_terms": 4}' --out runs/data/chain_sum
writes runs/data/chain_sum/train.jsonl and validation.jsonl.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rg_env import require_reasoning_gym  # noqa: E402

require_reasoning_gym()
import reasoning_gym  # noqa: E402


def jsonable(x):
    """reasoning-gym metadata holds tuples and the odd set; JSON keeps them as lists."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [jsonable(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if callable(getattr(x, "item", None)):  # a numpy scalar
        return jsonable(x.item())
    return str(x)


def write(path, rows):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for r in rows:
            try:  # NaN / inf are not JSON: the learner would refuse the line
                f.write(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n")
            except ValueError as e:
                sys.exit(f"export.py: item {r['id']}: {e}")
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", required=True, help="a reasoning-gym dataset name, e.g. chain_sum")
    ap.add_argument("--size", type=int, required=True, help="training items")
    ap.add_argument("--validation-size", type=int, default=0, help="held-out items (0: no validation file)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", default="{}", help="the task's config as JSON, e.g. '{\"max_terms\": 4}'")
    ap.add_argument("--out", required=True, help="directory for train.jsonl and validation.jsonl")
    args = ap.parse_args()
    try:
        config = json.loads(args.config)
        ds = reasoning_gym.create_dataset(args.task, size=args.size + 5 * args.validation_size, seed=args.seed,
                                          **config)
    except Exception as e:  # noqa: BLE001 - a bad task or config is the user's to fix: say which
        sys.exit(f"export.py: task {args.task!r} with config {args.config}: {type(e).__name__}: {e}")
    rows = [{"id": f"{args.task}-{i}", "prompt": e["question"], "answer": str(e["answer"]),
             "metadata": jsonable(e["metadata"])} for i, e in enumerate(ds)]
    train, held = rows[:args.size], []
    seen = {r["prompt"] for r in train}
    for r in rows[args.size:]:
        if len(held) < args.validation_size and r["prompt"] not in seen:
            held.append(r)
            seen.add(r["prompt"])
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "train.jsonl"), train)
    if args.validation_size:
        write(os.path.join(args.out, "validation.jsonl"), held)
    print(f"export.py: {args.task}: {len(train)} training items, {len(held)} validation items -> {args.out}")
    if len(held) < args.validation_size:
        print(f"export.py: warning: only {len(held)} distinct held-out questions found, not {args.validation_size}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
