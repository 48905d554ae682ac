"""The verdict lines of the Python end-to-end tests: `check(name, ok, detail)` prints "ok   name" or
"FAIL name: detail" and remembers failures; `finish(work)` removes the work directory when all passed (keeps
it, and says where, otherwise) and exits 1 on any failure. `tiny_run` makes the small run the multi-host and
Slurm tests train; `wait` polls a condition."""
import os
import shutil
import subprocess
import sys
import time

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)[:3000]), flush=True)
    if not ok:
        failures.append(name)


def finish(work, keep=False):
    if not failures and not keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work directory kept:", work)
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


def wait(cond, timeout, poll=0.1):
    """True as soon as cond() holds, False when `timeout` seconds pass first."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(poll)
    return False


def tiny_run(ascent, work, name, run_keys, extra=""):
    """A tiny Qwen3 policy (`ascent init-model`, checked) and a recipe training it on small arithmetic with two
    actors until stopped: the run section's keys beyond `steps` and `actors` go in `run_keys` (indented YAML
    lines), other sections in `extra`. Returns the recipe's path."""
    r = subprocess.run([ascent, "init-model", "--out", "policy", "--arch", "qwen3", "--preset", "tiny", "--seed", "3"],
                       cwd=work, capture_output=True, text=True)
    check("init-model", r.returncode == 0, r.stderr)
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"""name: {name}
seed: 3
model: {{path: policy}}
data: {{builtin: arithmetic, builtin_size: 400, builtin_max_operand: 9, validation_split: 0.05}}
generation: {{max_tokens: 4, temperature: 1.0, slots: 16}}
algorithm: {{group_size: 4, prompts_per_step: 4, max_lag: 2}}
rewards: {{verifier: math}}
optimizer: {{lr: 3.0e-4, warmup_steps: 0}}
run:
  steps: 1000000  # ended by a stop (a signal, a scheduler's cancel)
  actors: 2
  dir: runs
  validation: {{every: 0}}
{run_keys}{extra}""")
    return path
