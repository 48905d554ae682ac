#!/usr/bin/env python3
"""End-to-end runs of `ascent train` on loopback (ctest train_end_to_end). Usage: train_e2e_test.py ASCENT.

A. 2 actors + 2 learner ranks (mpirun), max_lag 2: kill -9 of one actor mid-run; the run finishes, the actor is
   started again and rejoins (the learner counts the lost incarnation), versions (steps) increase one by one,
   lag never exceeds max_lag, and every group is accounted for at every step:
   generated = trained + filtered + dropped (reward) + held (received for a later step).
B. Deterministic mode (1 actor, max_lag 0, fixed seed), uninterrupted: the reference.
C. The same with kill -9 of the learner after a checkpoint, then `ascent train --resume`: the resumed run's
   metrics equal the reference's at every step (wall-clock keys aside) and its final weights are the same
   bytes: no group lost, none trained twice.
V. Validation beside training (run.validation.background) in the deterministic mode: the same pass rate at
   every validated step as the run whose steps wait for it, the same training metrics, each validation once,
   in a row of its own with the compute of the step that made its weights; killed after a checkpoint taken
   while its step's validation ran (marked pending) and resumed: that validation runs again, the same.
D. The deterministic run with 2 learner ranks: the same loss curve as 1 rank (float summation order aside).
D2. The same 2-rank run (ZeRO-1: each rank holds half of AdamW's moments) stopped by Ctrl-C (SIGINT to the whole
   process group, as a terminal sends it) after step 5: one checkpoint, exit code 130, no step-N.tmp left; then
   resumed: metrics, final weights and the gathered AdamW state equal the uninterrupted 2-rank run's.
G. A scheduler's stop: SIGTERM to the launcher's group and to every process at once (1 rank): one checkpoint of
   the last finished step, exit 130; a planted step-N.tmp is removed when the run resumes, and it ends at step 40
   with every step once.
H. kill -9 of `ascent train` (2 ranks): the children, in process groups of their own, see their launcher gone and
   stop with a checkpoint of the last finished step; none is left running.
E. zero_variance: resample (DAPO dynamic sampling): filtered groups are refilled with new leases of the same step,
   so steps train 4 groups while groups are filtered, and the accounting still holds.
F. run.device: cuda:0 on a machine without a GPU backend: refused at the learner's start, naming the key.
F2. 2 learner ranks, --resume with nothing to resume: rank 0 fails alone and the job ends (MPI_Abort), no hang.
I. KL to the reference (k3, loss form) with PPO-clip and TIS, deterministic: the KL is 0 at the first step
   (the policy is the reference) and grows after; the metrics are finite and the reference's time and memory
   are reported. Killed and resumed, the run's metrics equal the uninterrupted run's (the reference is still
   the recipe's model, not the checkpoint); on 2 learner ranks the loss and KL curves equal 1 rank's. The
   reward form (k1, as verl and OpenRLHF put it in the reward) on 2 ranks equals 1 rank too.
L. LoRA (model.lora, rank 4): the actors receive the adapters only (weights/published_bytes is the adapters'
   count x 2, under a tenth of the full model's); checkpoints hold adapter/ in PEFT's format and no model;
   killed and resumed, the metrics equal the uninterrupted run's; 2 ranks give 1 rank's loss curve; a
   resume with a recipe without model.lora is refused; `ascent merge-lora` writes a whole model that
   `ascent score` loads and whose log-probs differ from the base model's (the adapters trained).
"""
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish as finish_checks  # noqa: E402

ascent = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="ascent-e2e-")


def run(*args, **kw):
    return subprocess.run([ascent, *args], cwd=work, capture_output=True, text=True, **kw)


def recipe(name, actors, ranks, lag, steps, ckpt_every, zero_variance="filter", device="cpu", algo="", model="",
           validation="every: 0, samples: 2, temperature: 1.0"):
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"""name: {name}
seed: 3
model: {{path: policy{model}}}
data: {{builtin: arithmetic, builtin_size: 400, builtin_max_operand: 9, validation_split: 0.05}}
generation: {{max_tokens: 4, temperature: 1.0, slots: 16}}
algorithm: {{group_size: 4, prompts_per_step: 4, max_lag: {lag}, zero_variance: {zero_variance}{algo}}}
rewards: {{verifier: math}}
optimizer: {{lr: 3.0e-4, warmup_steps: 0}}
run:
  steps: {steps}
  actors: {actors}
  learner_ranks: {ranks}
  device: {device}
  dir: runs
  validation: {{{validation}}}
  checkpoint: {{every: {ckpt_every}, keep: 5}}
""")
    return path


def metrics(name):
    with open(os.path.join(work, "runs", name, "metrics.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


# Keys that depend on wall-clock time, left out when two runs are compared.
skip = ("compute/wall_s", "compute/device_hours", "time/", "perf/", "actors/", "fit/")


def metrics_diff(ref, res):
    """(step, key, ref value, res value) for every key that differs, step by step, wall-clock keys aside."""
    diff = []
    for a, b in zip(ref, res):
        for k in sorted(set(a) | set(b)):
            if not k.startswith(skip) and a.get(k) != b.get(k):
                diff.append((a["step"], k, a.get(k), b.get(k)))
    return diff


def wait_for_step(name, step, proc, timeout=120):
    end = time.time() + timeout
    path = os.path.join(work, "runs", name, "metrics.jsonl")
    while time.time() < end and proc.poll() is None:
        try:
            with open(path) as f:
                if any(json.loads(l).get("step", -1) >= step for l in f if l.strip()):
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return False


def finish(p, timeout):
    """The output of a Popen, waiting up to `timeout`; on a hang the whole process group is killed and what it
    printed so far is returned with a note, so that the failing check shows where it stopped."""
    try:
        return p.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run(["pkill", "-9", "-f", work], check=False)  # children in their own groups
        return (p.communicate()[0] or "") + f"\n[test: no exit within {timeout} s; killed]"


def launch(path, *extra):
    """`ascent train` in a session of its own, as a terminal would run it (its pid is the group id)."""
    return subprocess.Popen([ascent, "train", path, "--no-progress", *extra], cwd=work, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def pids(name):
    with open(os.path.join(work, "runs", name, "pids.json")) as f:
        return json.load(f)


def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    return e


def kill_learner_after_step_5(label, name, path):
    """Runs `path` and kills its learner with -9 once metrics.jsonl has step 5."""
    p = launch(path)
    ok = wait_for_step(name, 5, p)
    if ok:
        os.kill(pids(name)["learner"], signal.SIGKILL)
    out = finish(p, 120)
    check(f"{label}: the learner was killed mid-run", ok and p.returncode != 0, out[-2000:])


def kill_and_resume(label, name, path, ref_name):
    """kill -9 of the learner after step 5 of `path` (a checkpoint every 3 steps), then --resume: the resumed
    run must finish with metrics equal to the uninterrupted run `ref_name`'s."""
    kill_learner_after_step_5(label, name, path)
    r = run("train", path, "--resume", "--no-progress", env=env(), timeout=300)
    check(f"{label}: the resumed run finishes", r.returncode == 0, r.stderr[-2000:])
    diff = metrics_diff(metrics(ref_name), metrics(name))
    check(f"{label}: the resumed run's metrics equal the uninterrupted run's", not diff, diff[:10])


# A starting policy that answers with digits: a tiny model and a short SFT on the task.
r = run("init-model", "--out", "base", "--arch", "qwen3", "--preset", "tiny", "--seed", "3")
check("init-model", r.returncode == 0, r.stderr)
sft_recipe = recipe("sft", 1, 1, 0, 1, 0)
r = run("sft", "--recipe", sft_recipe, "--init", "base", "--out", "policy", "--steps", "150", "--batch", "32",
        "--lr", "2e-3", "--threads", "2")
check("sft", r.returncode == 0, r.stderr)

# ---- A: 2 actors, 2 learner ranks, kill -9 of an actor ----
path = recipe("multi", 2, 2, 2, 60, 30)  # long enough for the restarted actor to register (about 1 s) before the end
p = launch(path, "--lost-after", "3")
killed = None


def both_actors_live():
    """The last metrics line says 2 actors are registered: a kill before an actor's first registration would
    leave no incarnation to lose (a race seen once a run made 7 steps before the second actor was up)."""
    end = time.time() + 120
    while time.time() < end and p.poll() is None:
        try:
            if metrics("multi")[-1].get("actors/live") == 2:
                return True
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.05)
    return False


if wait_for_step("multi", 3, p) and both_actors_live():
    killed = pids("multi")["actors"][0]
    os.kill(killed, signal.SIGKILL)
out = finish(p, 300)
check("A: the run finishes after an actor is killed", p.returncode == 0 and killed, out[-3000:])
check("A: the killed actor is started again", "actor-0 exited (signal 9); starting it again" in out, out[-2000:])
# On the learner's host the actors map each version from /dev/shm (transport/weight_shm.h), not over gRPC.
shm = re.findall(r"(\d+) weight updates \((\d+) through shared memory", out)
check("A: the actors took their weights from shared memory", shm and all(int(a) == int(b) > 0 for a, b in shm),
      shm or out[-2000:])
m = metrics("multi")
steps = [x["step"] for x in m]
check("A: steps (versions) 0..60 one by one", steps == list(range(61)), steps)
train = [x for x in m if x["step"] > 0]
check("A: 2 learner ranks", all(x.get("learner/ranks") == 2 for x in train), [x.get("learner/ranks") for x in train])
check("A: lag never exceeds max_lag 2", all(x.get("lag/max", 0) <= 2 for x in train), [x.get("lag/max") for x in train])
check("A: versions advance under the actors (lag > 0 seen)", any(x.get("lag/max", 0) > 0 for x in train))
acc = [(x["groups/generated"], x["groups/trained"] + x["groups/filtered"] + x["groups/dropped_reward"] +
        x["groups/held"]) for x in train]
check("A: every group accounted for at every step", all(a == b for a, b in acc), acc)
check("A: every step's groups were trained or filtered", train[-1]["groups/trained"] + train[-1]["groups/filtered"] ==
      60 * 4, train[-1])
check("A: the lost incarnation is counted and the actor rejoined",
      train[-1]["actors/lost"] >= 1 and train[-1]["actors/live"] == 2, train[-1])

# ---- B: deterministic reference ----
path_b = recipe("det_ref", 1, 1, 0, 8, 3)
r = run("train", path_b, "--no-progress", env=env(), timeout=300)
check("B: deterministic reference run", r.returncode == 0, r.stderr[-2000:])

# ---- C: kill -9 of the learner, then --resume ----
path_c = recipe("det_kill", 1, 1, 0, 8, 3)
kill_learner_after_step_5("C", "det_kill", path_c)
latest = open(os.path.join(work, "runs", "det_kill", "checkpoints", "latest")).read().strip()
# (The kill lands after step 5 is seen; step 6 and its checkpoint may have finished by then on a fast run.)
check("C: a checkpoint from before the kill", latest in ("step-000003", "step-000006"), latest)
r = run("train", path_c, "--resume", "--no-progress", env=env(), timeout=300)
check("C: resumed run finishes", r.returncode == 0, r.stderr[-2000:])
ref, res = metrics("det_ref"), metrics("det_kill")
check("C: same steps as the reference", [x["step"] for x in res] == [x["step"] for x in ref],
      ([x["step"] for x in res], [x["step"] for x in ref]))
diff = metrics_diff(ref, res)
check("C: the resumed run's metrics equal the uninterrupted run's", not diff, diff[:10])
wa = open(os.path.join(work, "runs", "det_ref", "checkpoints", "step-000008", "model", "model.safetensors"), "rb").read()
wb = open(os.path.join(work, "runs", "det_kill", "checkpoints", "step-000008", "model", "model.safetensors"), "rb").read()
check("C: final weights identical to the uninterrupted run's", wa == wb)
check("C: groups trained: every step's 4 prompts exactly once",
      res[-1]["groups/trained"] + res[-1]["groups/filtered"] == 8 * 4, res[-1])

# ---- V: validation beside training, against validation in the step ----
val_every = "every: 2, samples: 2, temperature: 1.0"
for name, extra in (("val_sync", ""), ("val_bg", ", background: true")):
    r = run("train", recipe(name, 1, 1, 0, 8, 3, validation=val_every + extra), "--no-progress", env=env(),
            timeout=300)
    check(f"V: {name} finishes", r.returncode == 0, r.stderr[-2000:])


def validations(name):
    """{step: pass rate} of a run's validations, and the steps validated more than once."""
    rows = [x for x in metrics(name) if "val/pass_rate" in x]
    seen = [x["step"] for x in rows]
    return {x["step"]: x["val/pass_rate"] for x in rows}, sorted({s for s in seen if seen.count(s) > 1})


def step_rows(name):
    """The training steps' rows (every one has groups/generated; a background validation's row has not),
    without the validation's keys."""
    return [{k: v for k, v in x.items() if not k.startswith(("val/", "fit/"))} for x in metrics(name)
            if x["step"] > 0 and "groups/generated" in x]


vs, _ = validations("val_sync")
vb, twice = validations("val_bg")
check("V: the validation in the step validates steps 0, 2, 4, 6, 8", sorted(vs) == [0, 2, 4, 6, 8], vs)
# (Pass rates that change over the run: a validation of the wrong weights would show.)
check("V: the pass rate changes over the run", len(set(vs.values())) >= 3, vs)
check("V: beside training: the same pass rate at every validated step, each once", vb == vs and not twice,
      (vs, vb, twice))
diff = metrics_diff(step_rows("val_sync"), step_rows("val_bg"))
check("V: beside training: the same training metrics", len(step_rows("val_bg")) == 8 and not diff, diff[:10])
tokens = {x["step"]: x["compute/tokens"] for x in metrics("val_bg") if "groups/generated" in x}
vtokens = {x["step"]: x["compute/tokens"] for x in metrics("val_bg") if "val/pass_rate" in x and x["step"] > 0}
check("V: a validation's row has the compute of the step that made its weights (not of a later one)",
      sorted(vtokens) == [2, 4, 6, 8] and all(vtokens[s] == tokens[s] for s in vtokens), (tokens, vtokens))
# A checkpoint every 2 steps, each taken while its own step's validation runs: marked pending in the run state,
# and the resume validates the checkpoint's weights again (its line, if written before the kill, is replaced).
path_vk = recipe("val_bg_kill", 1, 1, 0, 8, 2, validation=val_every + ", background: true")
kill_learner_after_step_5("V", "val_bg_kill", path_vk)
ckpts = os.path.join(work, "runs", "val_bg_kill", "checkpoints")
latest = open(os.path.join(ckpts, "latest")).read().strip()
state = json.load(open(os.path.join(ckpts, latest, "state.json")))
check("V: the checkpoint marks its step's validation pending", state.get("validation_pending") is True,
      (latest, sorted(state)))
r = run("train", path_vk, "--resume", "--no-progress", env=env(), timeout=300)
check("V: the resumed run finishes", r.returncode == 0, r.stderr[-2000:])
check("V: the resume validates the checkpoint's weights again", "validating the checkpoint's weights again" in
      r.stderr, r.stderr[-1500:])
vk, twice = validations("val_bg_kill")
check("V: killed and resumed: the same validations, each once", vk == vs and not twice, (vs, vk, twice))
diff = metrics_diff(step_rows("val_bg"), step_rows("val_bg_kill"))
check("V: killed and resumed: the same training metrics", len(step_rows("val_bg_kill")) == 8 and not diff,
      diff[:10])

# ---- D: 2 learner ranks against 1 on the same data ----
path_d = recipe("det_2ranks", 1, 2, 0, 8, 0)
r = run("train", path_d, "--no-progress", env=env(), timeout=300)
check("D: deterministic run with 2 learner ranks", r.returncode == 0, r.stderr[-2000:])
two = metrics("det_2ranks")
la = [x.get("loss/value") for x in ref if x["step"] > 0]
lb = [x.get("loss/value") for x in two if x["step"] > 0]
close = len(la) == len(lb) == 8 and all(abs(a - b) <= 1e-4 + 1e-3 * abs(a) for a, b in zip(la, lb))
check("D: 2 ranks give the loss curve of 1 rank", close, list(zip(la, lb)))
check("D: and ran on 2 ranks", all(x.get("learner/ranks") == 2 for x in two if x["step"] > 0))

# ---- D2: ZeRO-1 (the default zero_stage) across a stop: Ctrl-C after step 5, then --resume ----
# 30 steps, so that the signal lands mid-run; the reference is the same 2-rank run uninterrupted.
path_d2r = recipe("det_2ranks_ref", 1, 2, 0, 30, 0)
r = run("train", path_d2r, "--no-progress", env=env(), timeout=300)
check("D2: uninterrupted 2-rank reference", r.returncode == 0, r.stderr[-2000:])
path_d2 = recipe("det_2ranks_stop", 1, 2, 0, 30, 0)
p = launch(path_d2)
ok = wait_for_step("det_2ranks_stop", 5, p)
if ok:
    os.killpg(p.pid, signal.SIGINT)  # a terminal's Ctrl-C: SIGINT to the whole foreground group
out = finish(p, 120)
check("D2: Ctrl-C stops the 2-rank run with one checkpoint and exit code 130", ok and p.returncode == 130 and
      out.count("stopped: checkpoint at step") == 1, (ok, p.returncode, out[-1500:]))
check("D2: no unfinished checkpoint left", not [d for d in os.listdir(os.path.join(
    work, "runs", "det_2ranks_stop", "checkpoints")) if d.endswith(".tmp")])
r = run("train", path_d2, "--resume", "--no-progress", env=env(), timeout=300)
check("D2: resumed 2-rank run finishes", r.returncode == 0, r.stderr[-2000:])
ref2, res2 = metrics("det_2ranks_ref"), metrics("det_2ranks_stop")
diff = metrics_diff(ref2, res2)
check("D2: same steps and metrics as the uninterrupted 2-rank run",
      [x["step"] for x in res2] == [x["step"] for x in ref2] and not diff, diff[:10])
for f in ("model/model.safetensors", "optimizer.safetensors"):
    fa = open(os.path.join(work, "runs", "det_2ranks_ref", "checkpoints", "step-000030", f), "rb").read()
    fb = open(os.path.join(work, "runs", "det_2ranks_stop", "checkpoints", "step-000030", f), "rb").read()
    check(f"D2: final {f} identical to the uninterrupted 2-rank run's (AdamW gathered from both shards)",
          fa == fb)

# ---- G: a scheduler's stop: SIGTERM to every process of a 1-rank job at once (Slurm, Kubernetes) ----
path_g = recipe("sigterm", 1, 1, 0, 40, 0)
p = launch(path_g)
ok = wait_for_step("sigterm", 3, p)
if ok:
    parts = pids("sigterm")
    os.killpg(p.pid, signal.SIGTERM)
    for pid in [parts["learner"], *parts["actors"]]:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
out = finish(p, 120)
check("G: SIGTERM to every process: one checkpoint, exit code 130", ok and p.returncode == 130 and
      out.count("stopped: checkpoint at step") == 1, (ok, p.returncode, out[-1500:]))
ckpts = os.path.join(work, "runs", "sigterm", "checkpoints")
stopped_at = len(metrics("sigterm")) - 1
latest = open(os.path.join(ckpts, "latest")).read().strip() if os.path.exists(os.path.join(ckpts, "latest")) else ""
check("G: the checkpoint is the last finished step's", latest == f"step-{stopped_at:06d}", (latest, stopped_at))
os.makedirs(os.path.join(ckpts, "step-000002.tmp", "model"))  # as a save killed half-way leaves it
r = run("train", path_g, "--resume", "--no-progress", env=env(), timeout=300)
check("G: resumed run finishes", r.returncode == 0, r.stderr[-2000:])
check("G: the unfinished checkpoint is removed at the start", not os.path.exists(os.path.join(ckpts, "step-000002.tmp"))
      and "removed the unfinished checkpoint" in r.stderr, r.stderr[-1500:])
check("G: steps 0..40 one by one across the stop", [x["step"] for x in metrics("sigterm")] == list(range(41)))

# ---- H: the launcher killed with -9: its children (own process groups) notice and stop with a checkpoint ----
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


path_h = recipe("orphans", 1, 2, 0, 200, 0)
p = launch(path_h)
ok = wait_for_step("orphans", 3, p)
parts = pids("orphans") if ok else {"learner": 0, "actors": []}
rank0 = int(open(os.path.join(work, "runs", "orphans", "learner.pid")).read()) if ok else 0
if ok:
    os.kill(p.pid, signal.SIGKILL)
p.wait()
end = time.time() + 60
children = [rank0, parts["learner"], *parts["actors"]]
while time.time() < end and any(alive(c) for c in children):
    time.sleep(0.2)
check("H: after kill -9 of ascent train, the learner ranks, mpirun and the actors exit",
      ok and not any(alive(c) for c in children), [(c, alive(c)) for c in children])
ckpt_h = os.path.join(work, "runs", "orphans", "checkpoints", "latest")
check("H: with a checkpoint of the last finished step", os.path.exists(ckpt_h) and
      open(ckpt_h).read().strip() == f"step-{len(metrics('orphans')) - 1:06d}",
      open(os.path.join(work, "runs", "orphans", "log.txt")).read()[-800:])
if any(alive(c) for c in children):
    subprocess.run(["pkill", "-9", "-f", work], check=False)

# ---- E: DAPO dynamic sampling ----
path_e = recipe("resample", 1, 1, 1, 8, 0, zero_variance="resample")
r = run("train", path_e, "--no-progress", env=env(), timeout=300)
check("E: resample run finishes", r.returncode == 0, r.stderr[-2000:])
res = [x for x in metrics("resample") if x["step"] > 0]
check("E: groups were filtered and refilled", res[-1]["groups/filtered"] > 0, res[-1])
check("E: every step trained 4 groups", all(x["batch/prompts"] == 4 for x in res), [x["batch/prompts"] for x in res])
acc = [(x["groups/generated"], x["groups/trained"] + x["groups/filtered"] + x["groups/dropped_reward"] +
        x["groups/held"]) for x in res]
check("E: every group accounted for", all(a == b for a, b in acc), acc)

# ---- F: a learner device this machine cannot run is refused at the start, naming the recipe key ----
path_f = recipe("no_gpu", 1, 1, 0, 2, 0, device="cuda:0")
r = run("train", path_f, "--no-progress", env=env(), timeout=120)
if shutil.which("nvidia-smi") is None:
    check("F: run.device cuda:0 refused without a GPU backend", r.returncode != 0 and "run.device" in r.stderr and
          "cuda:0" in r.stderr, r.stderr[-1500:])

# ---- F2: an error on rank 0 alone ends every rank (MPI_Abort): a resume with nothing to resume, 2 ranks ----
path_f2 = recipe("nothing_to_resume", 1, 2, 0, 2, 0)
t0 = time.time()
try:
    r = run("train", path_f2, "--resume", "--no-progress", env=env(), timeout=120)
    f2 = (r.returncode, r.stderr)
except subprocess.TimeoutExpired:
    f2 = (None, "no exit within 120 s: the other rank waited for rank 0 (a hang)")
    subprocess.run(["pkill", "-9", "-f", path_f2], check=False)
check("F2: 2 ranks, rank 0 fails alone: the job ends with the error, no hang",
      f2[0] not in (None, 0) and "--resume" in f2[1] and "no checkpoint" in f2[1], f2)

# ---- I: KL to the frozen reference + sampler-mismatch correction ----
kl_algo = ", loss: ppo_clip, kl: {beta: 0.05}, mismatch: {correction: tis, cap: 2}"
path_i = recipe("kl_ref", 1, 1, 0, 8, 3, algo=kl_algo)
r = run("train", path_i, "--no-progress", env=env(), timeout=300)
check("I: KL + TIS run finishes", r.returncode == 0, r.stderr[-2000:])
kl = [x for x in metrics("kl_ref") if x["step"] > 0]
keys = ("kl/ref_mean", "kl/ref_max", "mismatch/ratio_p50", "mismatch/ratio_p99", "mismatch/ratio_max",
        "mismatch/truncated_frac", "time/reference_s", "memory/reference_bytes")
check("I: every step reports the KL, mismatch, time and memory keys",
      len(kl) == 8 and all(k in x for x in kl for k in keys), [sorted(x) for x in kl[:1]])
check("I: KL 0 at the first step (policy = reference), > 0 after",
      kl[0].get("kl/ref_mean") == 0 and kl[-1].get("kl/ref_mean", 0) > 0, [x.get("kl/ref_mean") for x in kl])
check("I: the reference weighs what the policy weighs (fp32 parameters)",
      kl[0].get("memory/reference_bytes", 0) > 1e5, kl[0].get("memory/reference_bytes"))
path_ik = recipe("kl_kill", 1, 1, 0, 8, 3, algo=kl_algo)
kill_and_resume("I (KL)", "kl_kill", path_ik, "kl_ref")
path_i2 = recipe("kl_2ranks", 1, 2, 0, 8, 0, algo=kl_algo)
r = run("train", path_i2, "--no-progress", env=env(), timeout=300)
check("I: KL run on 2 learner ranks finishes", r.returncode == 0, r.stderr[-2000:])
two = [x for x in metrics("kl_2ranks") if x["step"] > 0]
pairs = [(a.get(k), b.get(k)) for a, b in zip(kl, two) for k in ("loss/value", "kl/ref_mean")]
check("I: 2 ranks give the loss and KL curves of 1 rank", len(two) == 8 and all(
    a is not None and b is not None and abs(a - b) <= 1e-4 + 1e-3 * abs(a) for a, b in pairs), pairs)

kl_reward = ", kl: {beta: 0.5, estimator: k1, form: reward}"
curves = []
for name, ranks in (("klr_1", 1), ("klr_2", 2)):
    r = run("train", recipe(name, 1, ranks, 0, 6, 0, algo=kl_reward), "--no-progress", env=env(), timeout=300)
    check(f"I: reward-form KL run on {ranks} rank(s) finishes", r.returncode == 0, r.stderr[-2000:])
    curves.append([(x.get("loss/value"), x.get("kl/ref_mean")) for x in metrics(name) if x["step"] > 0])
pairs = [(a[i], b[i]) for a, b in zip(*curves) for i in (0, 1)]
check("I: the reward form on 2 ranks gives 1 rank's loss and KL curves", len(curves[0]) == len(curves[1]) == 6 and
      all(a is not None and b is not None and abs(a - b) <= 1e-4 + 1e-3 * abs(a) for a, b in pairs), pairs)
check("I: the reward-form KL moves off 0 once the policy moves", curves[0][-1][1] != 0, curves[0])

# ---- L: LoRA: adapters trained, published and checkpointed ----
lora_model = ", lora: {rank: 4, alpha: 8}"
path_l = recipe("lora_ref", 1, 1, 0, 8, 3, model=lora_model)
r = run("train", path_l, "--no-progress", env=env(), timeout=300)
check("L: LoRA run finishes", r.returncode == 0, r.stderr[-2000:])
lm = [x for x in metrics("lora_ref") if x["step"] > 0]
full = [x for x in metrics("det_ref") if x["step"] > 0]
ck = os.path.join(work, "runs", "lora_ref", "checkpoints", "step-000008")


def safetensors_numel(path):
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


adapter_numel = safetensors_numel(os.path.join(ck, "adapter", "adapter_model.safetensors"))
pub_l, pub_full = lm[0].get("weights/published_bytes", 0), full[0].get("weights/published_bytes", 0)
check("L: the actors receive exactly the adapters, in fp32 (under a tenth of the bf16 model's bytes)",
      pub_l == 4 * adapter_numel and pub_l < pub_full / 10, (pub_l, adapter_numel, pub_full))
# The actor merges each version: with fp32 adapters and max_lag 0 it samples from the trainer's own W, so the
# trainer/sampler KL stays at float noise while the policy moves (the full run's bf16 weights do not).
kl_l = [x.get("loss/kl_gen_train", 1) for x in lm]
check("L: the sampler runs the trainer's merged weights (loss/kl_gen_train < 1e-6 at every step)",
      max(kl_l) < 1e-6, kl_l)
check("L: the checkpoint holds adapter/ in PEFT's format and no model/",
      os.path.exists(os.path.join(ck, "adapter", "adapter_config.json")) and
      os.path.exists(os.path.join(ck, "adapter", "adapter_model.safetensors")) and
      not os.path.exists(os.path.join(ck, "model")), os.listdir(ck) if os.path.isdir(ck) else ck)
check("L: the LoRA policy moves (loss and gradient norms finite and non-zero)",
      all(x.get("optim/grad_norm", 0) > 0 for x in lm[1:]), [x.get("optim/grad_norm") for x in lm])
path_lk = recipe("lora_kill", 1, 1, 0, 8, 3, model=lora_model)
kill_and_resume("L (LoRA)", "lora_kill", path_lk, "lora_ref")
wa = open(os.path.join(ck, "adapter", "adapter_model.safetensors"), "rb").read()
wb = open(os.path.join(work, "runs", "lora_kill", "checkpoints", "step-000008", "adapter",
                       "adapter_model.safetensors"), "rb").read()
check("L: and its final adapters are the same bytes", wa == wb)
path_l2 = recipe("lora_2ranks", 1, 2, 0, 8, 0, model=lora_model)
r = run("train", path_l2, "--no-progress", env=env(), timeout=300)
check("L: LoRA run on 2 learner ranks finishes", r.returncode == 0, r.stderr[-2000:])
la = [x.get("loss/value") for x in lm]
lb = [x.get("loss/value") for x in metrics("lora_2ranks") if x["step"] > 0]
check("L: 2 ranks give the LoRA loss curve of 1 rank", len(la) == len(lb) == 8 and all(
    abs(a - b) <= 1e-4 + 1e-3 * abs(a) for a, b in zip(la, lb)), list(zip(la, lb)))
# The same run directory resumed by a recipe without model.lora: refused, naming the adapters.
path_lw = os.path.join(work, "lora_kill_nolora.yaml")
with open(path_lk) as f, open(path_lw, "w") as g:
    g.write(f.read().replace(lora_model, "").replace("steps: 8", "steps: 10"))
r = run("train", path_lw, "--resume", "--no-progress", env=env(), timeout=120)
check("L: resuming LoRA adapters without model.lora is refused, naming model.lora",
      r.returncode != 0 and "--resume with a changed model.lora" in r.stderr, r.stderr[-1500:])
# A base that changed under the adapters (here re-trained by a short SFT into another directory) is refused.
r = run("sft", "--recipe", sft_recipe, "--init", "policy", "--out", "policy_b", "--steps", "2", "--batch", "8",
        "--lr", "1e-3", "--threads", "1")
check("L: a second base for the check", r.returncode == 0, r.stderr[-1000:])
path_lb = os.path.join(work, "lora_kill_otherbase.yaml")
with open(path_lk) as f, open(path_lb, "w") as g:
    g.write(f.read().replace("path: policy", "path: policy_b").replace("steps: 8", "steps: 10"))
r = run("train", path_lb, "--resume", "--no-progress", env=env(), timeout=120)
check("L: resuming adapters with another model.path is refused (the recipe changed)",
      r.returncode != 0 and "--resume with a changed model.path" in r.stderr, r.stderr[-1500:])
# The same model.path whose weights changed (policy_b's written over it): the adapters' base fingerprint.
shutil.copytree(os.path.join(work, "policy"), os.path.join(work, "policy_orig"))
shutil.copy(os.path.join(work, "policy_b", "model.safetensors"), os.path.join(work, "policy", "model.safetensors"))
path_ls = os.path.join(work, "lora_kill_samepath.yaml")
with open(path_lk) as f, open(path_ls, "w") as g:
    g.write(f.read().replace("steps: 8", "steps: 10"))
r = run("train", path_ls, "--resume", "--no-progress", env=env(), timeout=120)
check("L: resuming adapters on a base whose weights changed is refused",
      r.returncode != 0 and "is not the base model the adapters" in r.stderr, r.stderr[-1500:])
shutil.rmtree(os.path.join(work, "policy"))
shutil.copytree(os.path.join(work, "policy_orig"), os.path.join(work, "policy"))
merged = os.path.join(work, "lora_merged")
r = run("merge-lora", "--base", "policy", "--adapter", os.path.join(ck, "adapter"), "--out", merged)
check("L: merge-lora writes a whole model", r.returncode == 0 and os.path.exists(
    os.path.join(merged, "model.safetensors")), r.stderr[-1500:])
inp = os.path.join(work, "score_in.jsonl")
with open(inp, "w") as f:
    f.write(json.dumps({"text": "1+2=3"}) + "\n")
sa = run("score", "--model", merged, "--input", inp)
sb = run("score", "--model", "policy", "--input", inp)
check("L: the merged model scores, and differently from the base", sa.returncode == 0 and sb.returncode == 0 and
      sa.stdout != sb.stdout, (sa.stdout[-500:], sa.stderr[-500:], sb.stdout[-300:]))

finish_checks(work, keep=bool(os.environ.get("KEEP")))
