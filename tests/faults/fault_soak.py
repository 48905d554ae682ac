#!/usr/bin/env python3
"""Fault-injection soak of `ascent train` (issue: reliability under faults). Usage:

    fault_soak.py ASCENT CHAOS_PLUGIN [--faults N] [--seed S] [--kinds a,b,...] [--keep]

One run of a tiny model (2 actors, 4 prompts x 4 completions a step, max_lag 1, a checkpoint every 3 steps)
takes N faults drawn from a seeded schedule, each at a random step:
  actor_kill       SIGKILL of an actor (the launcher starts it again)
  actor_stop       SIGSTOP of an actor for 1-5 s, then SIGCONT (it is declared lost; its leases go to others)
  plugin_crash     the reward plugin segfaults / hangs / returns NaN / returns an error code for 2-4 s
  plugin_hang, plugin_nan, plugin_garbage
  server_kill      SIGKILL of a remote reward server (its actor starts it again)
  garbage_bytes    random bytes, then a truncated HTTP/2 preface, to the learner's rollout port
  concurrent       a second `ascent train --resume` of the live run (must be refused: one run per directory)
  learner_kill     SIGKILL of the learner; then, at random, the newest checkpoint gets a flipped byte or a
                   truncated file (the resume must fall back to the previous one and say so), and a resume with
                   a changed recipe is tried first (must be refused); then `ascent train --resume`
  launcher_kill    SIGKILL of `ascent train` itself (its children checkpoint and stop), then --resume
  full_disk        the run directory's tmpfs is filled (root only): the learner stops with the file named,
                   the space comes back, --resume
  rank_kill        (--ranks 2) SIGKILL of learner rank 1 under mpirun: the job stops, --resume
At the end the run is stopped with Ctrl-C, given 3 more steps and resumed to its end. Then the invariants:
  - the last `ascent train` exits 0 and every fault was recovered from (the run moved 2 steps past it);
  - metrics.jsonl holds steps 0..END once each (continuous across every resume);
  - leases.jsonl holds steps 1..END once each, and step s consumed exactly leases 4(s-1)..4s-1: no group lost,
    none trained twice, none skipped by a resume (leases given up after refused groups would be listed);
  - the final weights are finite; no process of the run is left; nothing waited past its deadline.
Prints the counts (faults injected, recovered, groups lost, groups double-trained) and exits 1 on any failure.
"""
import argparse
import collections
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, finish as finish_checks  # noqa: E402

ALL_KINDS = ["actor_kill", "actor_stop", "plugin_crash", "plugin_hang", "plugin_nan", "plugin_garbage", "server_kill",
             "garbage_bytes", "concurrent", "learner_kill", "launcher_kill", "full_disk", "rank_kill"]
P = 4  # prompts per step

ap = argparse.ArgumentParser()
ap.add_argument("ascent")
ap.add_argument("plugin")
ap.add_argument("--faults", type=int, default=10)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--kinds", default=",".join(ALL_KINDS))
ap.add_argument("--ranks", type=int, default=1, help="learner ranks (2: under mpirun, and rank_kill applies)")
ap.add_argument("--keep", action="store_true")
args = ap.parse_args()
ascent = os.path.abspath(args.ascent)
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="ascent-soak-")
runs = os.path.join(work, "runs")
os.makedirs(runs)
control = os.path.join(work, "plugin_mode")
server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "reward_server", "server.py")
kinds = args.kinds.split(",")
log = open(os.path.join(work, "soak.log"), "w")


def say(line):
    print(line, flush=True)
    log.write(line + "\n")
    log.flush()


# The run directory on a small tmpfs when this is root, so that a full disk is a real ENOSPC.
tmpfs = False
if "full_disk" in kinds and os.geteuid() == 0:
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", runs]).returncode == 0
if "rank_kill" in kinds and args.ranks < 2:
    kinds.remove("rank_kill")
if "full_disk" in kinds and not tmpfs:
    kinds.remove("full_disk")
    say("full_disk left out: a tmpfs needs root")


def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    return e


def write_recipe(path, steps, group_size=4):
    with open(path, "w") as f:
        f.write(f"""name: soak
seed: 5
model: {{path: base}}
data: {{builtin: arithmetic, builtin_size: 100000, builtin_max_operand: 9, validation_split: 0.0005}}
generation: {{max_tokens: 4, temperature: 1.0, slots: 16}}
algorithm: {{group_size: {group_size}, prompts_per_step: {P}, max_lag: 1, zero_variance: "off"}}
rewards:
  verifier: math
  plugins: [{{name: chaos, path: {args.plugin}, config: {{control: {control}}}, weight: 0.1, timeout_s: 2,
             retries: 0}}]
  remote: [{{name: server, command: [/usr/bin/python3, {server}, --port, "0"], weight: 0.1,
            dir: {work}, batch_timeout_s: 5, item_timeout_s: 3, retries: 1, max_restarts: 1000}}]
optimizer: {{lr: 1.0e-4, warmup_steps: 0}}
run:
  steps: {steps}
  actors: 2
  learner_ranks: {args.ranks}
  dir: runs
  lease_timeout_s: 20
  validation: {{every: 0, samples: 1, temperature: 1.0}}
  checkpoint: {{every: 3, keep: 3}}
""")
    return path


def metrics():
    try:
        with open(os.path.join(runs, "soak", "metrics.jsonl")) as f:
            return [json.loads(l) for l in f if l.strip()]
    except (OSError, ValueError):
        return []


def last_step():
    m = metrics()
    return max((x["step"] for x in m), default=-1)


launches = 0


def launch(recipe, out, *extra):
    """`ascent train` in a session of its own, its output into the file `out` (a pipe nobody reads while it
    runs would fill up and stall it)."""
    return subprocess.Popen([ascent, "train", recipe, "--no-progress", "--lost-after", "3", *extra], cwd=work,
                            env=env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def run_procs(marker=""):
    """Pids of the run's processes: those whose command line names the work directory or whose working
    directory is in it (the reward servers), and whose command line holds `marker`."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(f"/proc/{d}/cwd")
        except OSError:
            continue
        if (work in cmd or cwd.startswith(work)) and marker in cmd and "fault_soak.py" not in cmd:
            found.append(int(d))
    return found


def wait_gone(deadline_s):
    end = time.time() + deadline_s
    while time.time() < end:
        if not run_procs():
            return True
        time.sleep(0.2)
    return False


def pids():
    with open(os.path.join(runs, "soak", "pids.json")) as f:
        return json.load(f)


def newest_checkpoint():
    root = os.path.join(runs, "soak", "checkpoints")
    steps = sorted(d for d in os.listdir(root) if re.fullmatch(r"step-\d+", d))
    return os.path.join(root, steps[-1]) if steps else None


class Run:
    """The live `ascent train` and its output (read in full when it ends)."""

    def __init__(self, recipe, *extra):
        global launches
        launches += 1
        self.path = os.path.join(work, f"train-{launches}.log")
        self.file = open(self.path, "w")
        self.t0 = time.time()
        self.p = launch(recipe, self.file, *extra)
        self.out = None
        self.expect = []  # lines its output must hold (a checkpoint fallback's)

    def started(self):
        """This run's learner is up: it rewrote learner.addr (after cutting metrics.jsonl back on a resume),
        so the steps seen from now on are its own, not those of the run before the fault."""
        try:
            return os.path.getmtime(os.path.join(runs, "soak", "learner.addr")) >= self.t0
        except OSError:
            return False

    def wait(self, deadline_s):
        note = ""
        try:
            self.p.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            for p in run_procs():
                os.kill(p, signal.SIGKILL)
            self.p.wait()
            note = f"\n[soak: no exit within {deadline_s} s; killed]"
        self.file.close()
        with open(self.path, errors="replace") as f:
            self.out = f.read() + note
        for e in self.expect:
            check(f"the output says \"{e}\"", e in self.out, self.out[-2000:])
        root = os.path.join(runs, "soak", "checkpoints")
        for refused in (os.path.join(root, d) for d in (os.listdir(root) if os.path.isdir(root) else [])
                        if d.endswith(".refused")):
            subprocess.run(["rm", "-rf", refused])  # seen and said: give the space back (a tmpfs)
        return self.p.returncode


recipe = write_recipe(os.path.join(work, "soak.yaml"), 100000)
changed = write_recipe(os.path.join(work, "changed.yaml"), 100000, group_size=8)  # the same run, changed
r = subprocess.run([ascent, "init-model", "--out", "base", "--arch", "qwen3", "--preset", "tiny", "--seed", "3"],
                   cwd=work, capture_output=True, text=True)
check("init-model", r.returncode == 0, r.stderr)

counts = collections.Counter()
recovered = 0
schedule = [rng.choice(kinds) for _ in range(args.faults)]
say(f"soak: {args.faults} faults, seed {args.seed}, work {work}")
live = Run(recipe)


def wait_for(step, deadline_s=180):
    end = time.time() + deadline_s
    while time.time() < end:
        if live.started() and last_step() >= step:
            return True
        if live.p.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def damage_checkpoint():
    """Damages the newest checkpoint when an older one is there to fall back to."""
    root = os.path.join(runs, "soak", "checkpoints")
    if len([d for d in os.listdir(root) if re.fullmatch(r"step-\d+", d)]) < 2:
        return None
    ck = newest_checkpoint()
    if rng.random() < 0.5:
        path = os.path.join(ck, "model", "model.safetensors")
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(os.path.getsize(path) // 2)
            f.write(bytes([b[0] ^ 0x40]))
        return f"flipped a byte of {os.path.basename(ck)}/model/model.safetensors"
    path = os.path.join(ck, "optimizer.safetensors")
    os.truncate(path, os.path.getsize(path) // 3)
    return f"truncated {os.path.basename(ck)}/optimizer.safetensors"


def stopped_then_resume(kind, code):
    """After the run stopped (a fault): maybe damage the newest checkpoint, maybe try a changed recipe, resume."""
    check(f"{kind}: no process of the run left before the resume", wait_gone(60), run_procs())
    damage = damage_checkpoint() if kind == "learner_kill" and rng.random() < 0.5 else None
    if kind == "learner_kill" and rng.random() < 0.3:
        r = subprocess.run([ascent, "train", changed, "--resume", "--no-progress"], cwd=work, env=env(),
                           capture_output=True, text=True, timeout=120)
        check("wrong recipe: refused with the changed key named",
              r.returncode != 0 and "--resume with a changed algorithm.group_size" in r.stdout + r.stderr,
              (r.stdout + r.stderr)[-1500:])
        counts["wrong_recipe"] += 1
        wait_gone(30)
    global live
    live = Run(recipe, "--resume")
    if damage:
        say(f"  {damage}")
        counts["checkpoint_damage"] += 1
        # The learner names the refused checkpoint and where it resumed (checked when this run's output is read).
        live.expect += ["WARNING: checkpoint", "refused", "the newest checkpoint that verifies"]


step_at = 0
for i, kind in enumerate(schedule):
    target = max(last_step(), step_at) + rng.randint(2, 5)
    ok = wait_for(target)
    if not ok:
        code = live.wait(30)
        check(f"fault {i}: the run reached step {target} before the fault", False,
              f"exit {code}: {(live.out or '')[-3000:]}")
        break
    at = last_step()
    counts[kind] += 1
    say(f"fault {i}: {kind} at step {at}")
    if kind == "actor_kill" or kind == "actor_stop":
        actor = rng.choice([p for p in pids()["actors"] if p > 0] or [0])
        if actor:
            if kind == "actor_kill":
                os.kill(actor, signal.SIGKILL)
            else:
                os.kill(actor, signal.SIGSTOP)
                time.sleep(rng.uniform(1, 5))
                os.kill(actor, signal.SIGCONT)
    elif kind.startswith("plugin_"):
        with open(control, "w") as f:
            f.write(kind[len("plugin_"):] + "\n")
        time.sleep(rng.uniform(2, 4))
        with open(control, "w") as f:
            f.write("ok\n")
    elif kind == "server_kill":
        servers = run_procs("server.py")
        if servers:
            os.kill(rng.choice(servers), signal.SIGKILL)
    elif kind == "garbage_bytes":
        with open(os.path.join(runs, "soak", "learner.addr")) as f:
            host, port = f.read().strip().rsplit(":", 1)
        for payload in (os.urandom(4096), b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04"):
            try:
                with socket.create_connection((host, int(port)), timeout=5) as s:
                    s.sendall(payload)
            except OSError:
                pass
    elif kind == "concurrent":
        r = subprocess.run([ascent, "train", recipe, "--resume", "--no-progress"], cwd=work, env=env(),
                           capture_output=True, text=True, timeout=120)
        check(f"fault {i}: a second ascent train --resume is refused",
              r.returncode != 0 and "is in use by another ascent process" in r.stdout + r.stderr,
              (r.stdout + r.stderr)[-1500:])
    elif kind in ("learner_kill", "launcher_kill", "rank_kill"):
        if kind == "learner_kill":
            os.kill(pids()["learner"], signal.SIGKILL)
        elif kind == "rank_kill":
            with open(os.path.join(runs, "soak", "learner.pid")) as f:
                rank0 = int(f.read())
            ranks = [p for p in run_procs(" learner ") if p != rank0 and p != pids()["learner"]]
            os.kill(ranks[0] if ranks else rank0, signal.SIGKILL)
        else:
            os.kill(live.p.pid, signal.SIGKILL)
        code = live.wait(120)
        check(f"fault {i}: {kind}: the run stopped", code is not None and code != 0, code)
        if kind == "launcher_kill" and run_procs() and rng.random() < 0.5:
            # A resume while the killed launcher's children still checkpoint: they hold the run's lock (shared
            # with them), so it is refused, unless they were gone already, and then it is the run.
            early = Run(recipe, "--resume")
            try:
                early.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            if early.p.poll() is None:
                live = early
                counts["early_resume_ran"] += 1
                step_at = at
                recovered += wait_for(at + 2)
                continue
            early.wait(1)
            check(f"fault {i}: a resume beside the killed launcher's children is refused",
                  early.p.returncode != 0 and "is in use by another ascent process" in early.out, early.out[-1500:])
            counts["early_resume_refused"] += 1
        stopped_then_resume(kind, code)
    elif kind == "full_disk":
        st = os.statvfs(runs)
        filler = os.path.join(runs, "filler")
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - (1 << 20)))
            except OSError:
                pass
        code = live.wait(180)
        out = live.out or ""
        check(f"fault {i}: full disk: the learner stopped naming the file and the reason",
              code != 0 and "No space left on device" in out, out[-2000:])
        os.remove(filler)
        stopped_then_resume(kind, code)
    step_at = at
    # Recovered: the run moves on 2 steps past the fault.
    if wait_for(at + 2):
        recovered += 1
    else:
        code = live.wait(30)
        check(f"fault {i} ({kind}): the run went on", False, f"exit {code}: {(live.out or '')[-3000:]}")
        break

# The end: Ctrl-C (a checkpoint of the last step), 3 more steps, resumed to the end.
os.killpg(live.p.pid, signal.SIGINT)
code = live.wait(120)
check("Ctrl-C at the end: exit 130 with a checkpoint", code == 130, (live.out or "")[-2000:])
check("the end: no process of the run left", wait_gone(60), run_procs())
ck = newest_checkpoint()
end_step = int(os.path.basename(ck).split("-")[1]) + 3 if ck else 3
write_recipe(recipe, end_step)
live = Run(recipe, "--resume")
code = live.wait(300)
check(f"the last resume runs to step {end_step} and exits 0", code == 0, (live.out or "")[-3000:])
check("no process of the run left", wait_gone(60), run_procs())

# ---- invariants ----
m = metrics()
steps = [x["step"] for x in m]
check("metrics.jsonl: steps 0..END once each", steps == list(range(0, end_step + 1)),
      f"{len(steps)} lines; duplicates {[s for s, n in collections.Counter(steps).items() if n > 1][:10]}, "
      f"missing {sorted(set(range(end_step + 1)) - set(steps))[:10]}")
with open(os.path.join(runs, "soak", "leases.jsonl")) as f:
    lines = [json.loads(l) for l in f if l.strip()]
given_up = int(m[-1].get("leases/given_up", 0)) if m else 0
all_leases = [x for l in lines for x in l["leases"]]
dup = [x for x, n in collections.Counter(all_leases).items() if n > 1]
expected = set(range(P * end_step))
lost = sorted(expected - set(all_leases))
check("leases.jsonl: steps 1..END once each", [l["step"] for l in lines] == list(range(1, end_step + 1)),
      [l["step"] for l in lines][:20])
bad_steps = [l["step"] for l in lines if l["leases"] != list(range(P * (l["step"] - 1), P * l["step"]))]
check("each step consumed exactly its own leases, in order", given_up > 0 or not bad_steps, bad_steps[:10])
check("no group double-trained", not dup, dup[:10])
check("no group lost (every lease of every step consumed, or given up and counted)", len(lost) == given_up,
      f"lost {lost[:10]}, given up {given_up}")
ck = newest_checkpoint()
with open(os.path.join(ck, "model", "model.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    json.loads(f.read(n))  # the header: one float32 tensor after another follows
    data = f.read()
finite = all(x == x and abs(x) != float("inf") for x in struct.unpack(f"<{len(data) // 4}f", data))
check("the final weights are finite", finite, ck)
check("every fault recovered from", recovered == sum(counts[k] for k in ALL_KINDS), (recovered, counts))
say(f"soak: faults injected {sum(counts[k] for k in ALL_KINDS)}, recovered {recovered}, groups lost {len(lost) - given_up}, "
    f"groups double-trained {len(dup)}, steps {end_step}; by kind: {dict(counts)}")
if tmpfs:
    subprocess.run(["umount", "-l", runs])
finish_checks(work, keep=args.keep)
