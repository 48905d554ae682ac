#!/usr/bin/env python3
"""A remote reward server (proto/reward.proto) that scores with reasoning-gym's own scorers.

Each item's metadata_json is the item's metadata as examples/reasoning_gym/export.py wrote it; its
source_dataset names the task, and reasoning_gym.get_score_answer_fn(task)(answer, entry) scores the answer
extracted from the completion, with entry = {question: prompt, answer, metadata} as reasoning-gym's own
items are. The reward is that score (in [0, 1]; 1.0 = correct; some tasks give partial credit).

What counts as the completion's answer (--extract):
  answer_tag   the last <answer>...</answer> (reasoning-gym's convention; none: score of None, i.e. 0)
  last_number  the last number in the text (sign, decimals and thousands commas kept)
  full         the whole completion, stripped
  auto         (default) answer_tag when the completion has one, else last_number when it holds a number,
               else full
Run: ASCENT_REWARD_TOKEN=... python3 reward_server.py --port 0   (ascent starts it with a token of its own;
prints "listening on PORT"; any python3: it re-executes itself
under the reasoning-gym environment of scripts/reasoning_gym_venv.sh when needed). An item without a
source_dataset, or naming an unknown task, is reported as not ok with the reason; it never fails the batch.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rg_env import require_reasoning_gym  # noqa: E402

require_reasoning_gym()
import reasoning_gym  # noqa: E402
from reasoning_gym.utils import extract_answer  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "reward_server"))
import server  # noqa: E402  (the generic example server: serve(), the generated messages)

NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
SCORERS = {}


def extract(completion, how):
    if how in ("answer_tag", "auto"):
        tagged = extract_answer(completion)
        if tagged is not None or how == "answer_tag":
            return tagged
    if how in ("last_number", "auto"):
        nums = NUMBER.findall(completion)
        if nums or how == "last_number":
            return nums[-1].rstrip(",") if nums else None
    return completion.strip()


def scorer(task):
    if task not in SCORERS:
        SCORERS[task] = reasoning_gym.get_score_answer_fn(task)  # ValueError for an unknown task
    return SCORERS[task]


def make_score_item(how):
    def score_item(item):
        metadata = json.loads(item.metadata_json or "{}")
        task = metadata.get("source_dataset")
        if not task:
            raise ValueError("the item's metadata has no source_dataset (export it with export.py)")
        answer = extract(item.completion, how)
        entry = {"question": item.prompt, "answer": item.answer, "metadata": metadata}
        reward = float(scorer(task)(answer, entry))
        return reward, f"{task}: extracted {answer!r}"
    return score_item


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=50051)
    ap.add_argument("--extract", choices=["auto", "answer_tag", "last_number", "full"], default="auto")
    args = ap.parse_args()
    server.serve(make_score_item(args.extract), args.port)


if __name__ == "__main__":
    main()
