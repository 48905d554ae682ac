#!/usr/bin/env python3
"""reasoning-gym tasks through ascent's remote-reward path (ctest reasoning_gym_reward). Usage: reasoning_gym_test.py ASCENT.

reasoning-gym (PyPI) lives in a virtual environment that scripts/reasoning_gym_venv.sh makes once in
~/.cache/ascent (the test says so when it installs). Checked:
  - examples/reasoning_gym/export.py writes the prompt JSONL (each item's metadata kept, validation questions
    held out of the training file) for two tasks, and refuses an unknown task naming it;
  - `ascent reward` with a recipe whose rewards.remote entry has a `command` starts
    examples/reasoning_gym/reward_server.py itself, and each completion gets the task's own score: 1 for the
    right answer in <answer> tags or as the last number of prose, 0 for a wrong one, chain_sum's partial
    credit len(answer)/len(extracted) when the extracted number is not the answer but contains it (hand-derived from
    reasoning_gym.utils.compute_decimal_reward's rule), an error for an item without metadata;
  - a command that does not print "listening on PORT" fails at the start with the recipe, the entry and the
    line it printed;
  - a started server does not outlive its owner: `ascent reward` killed with SIGKILL mid-batch leaves no
    server behind (found by its working directory, this test's own).
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

ascent = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp(prefix="ascent-rg-")
example = os.path.join(root, "examples", "reasoning_gym")

venv = subprocess.run(["bash", os.path.join(root, "scripts", "reasoning_gym_venv.sh")], capture_output=True, text=True)
print(venv.stderr, end="")
check("the reasoning-gym environment is ready", venv.returncode == 0, venv.stderr)
if venv.returncode != 0:
    finish(work)


def export(task, size, val, config, out):
    return subprocess.run(["/usr/bin/python3", os.path.join(example, "export.py"), "--task", task, "--size", str(size),
                           "--validation-size", str(val), "--seed", "3", "--config", json.dumps(config), "--out", out],
                          capture_output=True, text=True)


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


tasks = {"chain_sum": {"min_terms": 3, "max_terms": 4, "max_digits": 1},
         "basic_arithmetic": {"min_terms": 2, "max_terms": 3, "max_digits": 2}}
items = {}
for task, config in tasks.items():
    out = os.path.join(work, task)
    r = export(task, 40, 10, config, out)
    check(f"export {task}", r.returncode == 0, r.stderr)
    train, val = read(os.path.join(out, "train.jsonl")), read(os.path.join(out, "validation.jsonl"))
    check(f"{task}: 40 training and 10 validation items", (len(train), len(val)) == (40, 10), (len(train), len(val)))
    check(f"{task}: every item keeps its metadata and names its task",
          all(x["metadata"].get("source_dataset") == task and x["id"].startswith(task + "-") for x in train + val))
    check(f"{task}: validation questions are held out",
          not ({x["prompt"] for x in val} & {x["prompt"] for x in train}) and len({x["prompt"] for x in val}) == 10)
    items[task] = train[:12]
bad = export("no_such_task", 5, 0, {}, os.path.join(work, "bad"))
check("an unknown task is refused, naming it", bad.returncode != 0 and "no_such_task" in bad.stderr, bad.stderr)

# Completions with hand-known scores.
rows, want = [], []
for task, xs in items.items():
    for x in xs:
        a = x["answer"]
        cases = [(f"<answer>{a}</answer>", 1.0), (f"Adding up step by step, the result is {a}.", 1.0),
                 ("<answer>I do not know</answer>", 0.0)]
        if task == "chain_sum":  # the task's own partial credit: "-11" inside "-115" earns 3/4
            cases.append((f"<answer>{a}5</answer>", len(a) / (len(a) + 1)))  # ("00" would equal "0")
        for completion, score in cases:
            rows.append({"prompt": x["prompt"], "completion": completion, "answer": a, "metadata": x["metadata"]})
            want.append(score)
rows.append({"prompt": "2+3", "completion": "5", "answer": "5"})  # no metadata: no task to score with
want.append(None)
inp = os.path.join(work, "completions.jsonl")
with open(inp, "w", encoding="utf-8") as f:
    f.writelines(json.dumps(r) + "\n" for r in rows)
recipe = os.path.join(work, "recipe.yaml")
with open(recipe, "w") as f:
    f.write("rewards:\n  verifier: none\n  remote:\n    - name: rg\n"
            f"      command: [python3, {os.path.join(example, 'reward_server.py')}, --port, \"0\"]\n")
r = subprocess.run([ascent, "reward", "--recipe", recipe, "--input", inp], capture_output=True, text=True, timeout=300)
check("ascent reward starts the server and scores", r.returncode == 0, r.stderr)
got = [json.loads(line) for line in r.stdout.splitlines()]
check("one result per completion", len(got) == len(want), (len(got), len(want)))
wrong = [(rows[i]["completion"], rows[i]["answer"], g, w) for i, (g, w) in enumerate(zip(got, want))
         if (w is None and g["ok"]) or (w is not None and not (g["ok"] and abs(g["reward"] - w) < 1e-12))]
check(f"every score is the task's own ({len(want) - 1} completions of two tasks)", not wrong, wrong[:5])
check("an item without metadata is an error that says why",
      not got[-1]["ok"] and "source_dataset" in got[-1].get("error", ""), got[-1])

with open(recipe, "w") as f:
    f.write("rewards:\n  verifier: none\n  remote:\n    - name: chatty\n"
            "      command: [python3, -c, \"print('hello there')\"]\n")
r = subprocess.run([ascent, "reward", "--recipe", recipe, "--input", inp], capture_output=True, text=True, timeout=60)
check("a server that does not say its port fails at the start, naming the recipe, the entry and its line",
      r.returncode != 0 and all(s in r.stderr for s in [recipe, "chatty", "listening on PORT", "hello there"]),
      r.stderr)
def servers_in(directory):
    """Pids of processes whose working directory is `directory`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == directory:
                pids.append(int(pid))
        except OSError:
            pass
    return pids


orphan_dir = os.path.join(work, "orphan")
os.makedirs(orphan_dir)
with open(recipe, "w") as f:
    f.write("rewards:\n  verifier: none\n  remote:\n    - name: slow\n"
            f"      command: [/usr/bin/python3, {os.path.join(root, 'examples', 'reward_server', 'server.py')}, "
            f"--port, \"0\", --test-behaviours]\n      dir: {orphan_dir}\n")
with open(inp, "w") as f:
    f.write(json.dumps({"prompt": "p", "completion": "SLOW", "answer": "1"}) + "\n")
owner = subprocess.Popen([ascent, "reward", "--recipe", recipe, "--input", inp], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
deadline = time.time() + 60
while not servers_in(orphan_dir) and time.time() < deadline and owner.poll() is None:
    time.sleep(0.1)
started = servers_in(orphan_dir)
time.sleep(1.0)  # the batch is in flight: the server sleeps 30 s on SLOW
owner.send_signal(signal.SIGKILL)
owner.wait()
deadline = time.time() + 10
while servers_in(orphan_dir) and time.time() < deadline:
    time.sleep(0.1)
check("a started server exits when its owner is killed with SIGKILL", started and not servers_in(orphan_dir),
      f"started {started}, left {servers_in(orphan_dir)}")
for pid in servers_in(orphan_dir):
    os.kill(pid, signal.SIGKILL)
finish(work)
