#!/usr/bin/env python3
"""A real Slurm (ctest slurm_job; needs root). Usage: slurm_test.py ASCENT.

tests/slurm/slurm_up.sh installs Debian's slurm-wlm and munge if missing and starts munged, slurmctld and two
slurmd on this host (the host declared twice, so that the heterogeneous job's learner and actor components
land on different Slurm nodes, as on a cluster). Then, as a user would:

1. `ascent launch RECIPE --on slurm` renders deploy/slurm/ascent.sbatch and submits it with sbatch; the
   learner (component 0) and two actors (component 1) run under srun, the actors dialling the learner's node
   as Slurm placed it (SLURM_JOB_NODELIST_HET_GROUP_0) with TLS (the per-run CA) and their tokens.
2. Steps are made and checkpointed; `scontrol requeue` stops the job (SIGTERM: the learner checkpoints its
   last finished step) and Slurm starts it again: the learner (--requeue) resumes from that checkpoint
   ("resumed at step" in log.txt) and goes on.
3. `scancel`: Slurm's SIGTERM makes the learner checkpoint its last finished step and stop ("stopped:
   checkpoint at step S", that checkpoint on disk); the job leaves the queue.
4. `ascent launch` again: the new job resumes at S.
The run's metrics are checked at the end: every step once, in order, from 0 to the last; groups accounted
for (generated = trained + filtered + dropped_reward + held) at every step; TLS was on (the learner's log).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish as finish_checks, tiny_run, wait  # noqa: E402

SKIP = 77
if os.geteuid() != 0:
    print("skipped: starting slurmctld and slurmd needs root")
    sys.exit(SKIP)

ascent = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="ascent-slurm-test-")
cluster = os.path.join(work, "cluster")
name = "slurm_run"
run_dir = os.path.join(work, "runs", name)
env = dict(os.environ, SLURM_CONF=os.path.join(cluster, "slurm.conf"))
env.pop("ASCENT_RUN_SECRET", None)
env.pop("ASCENT_TOKEN", None)
# Ports of our own, away from a Slurm the machine may run (6817/6818 are Slurm's defaults).
env.update(SLURM_CTLD_PORT="16817", SLURM_SLURMD_PORT="16818")


def sh(*cmd, timeout=60):
    return subprocess.run(list(cmd), capture_output=True, text=True, env=env, timeout=timeout, cwd=work)


def metrics():
    try:
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return []


def last_step():
    m = metrics()
    return m[-1]["step"] if m else -1


def log_text():
    try:
        with open(os.path.join(run_dir, "log.txt")) as f:
            return f.read()
    except OSError:
        return ""


def job_state(job):
    r = sh("squeue", "-h", "-j", job, "-o", "%T")
    return r.stdout.split()[0] if r.returncode == 0 and r.stdout.split() else "GONE"


def launch():
    r = sh(ascent, "launch", name + ".yaml", "--on", "slurm", timeout=120)
    m = re.search(r"Submitted batch job (\d+)", r.stdout + r.stderr)
    check("ascent launch --on slurm submits the job", r.returncode == 0 and m, r.stdout + r.stderr)
    return m.group(1) if m else None


def diagnose(job):
    out = os.path.join(run_dir, f"slurm-{job}.out")
    parts = [sh("squeue", "-a").stdout, sh("scontrol", "show", "job", job).stdout]
    for path in (out, os.path.join(run_dir, "log.txt"), os.path.join(cluster, "log", "slurmctld.log")):
        try:
            with open(path) as f:
                parts.append(f"---- {path}\n" + f.read()[-3000:])
        except OSError:
            pass
    return "\n".join(parts)


def scenario():
    tiny_run(ascent, work, name, "  checkpoint: {every: 5, keep: 2}\n", """cluster:
  learner_nodes: 1
  actor_nodes: 1
  actors_per_node: 2
  port: 29561
  slurm: {partition: debug, time: "00:20:00"}
""")
    # 1. Submitted and running: steps and a checkpoint.
    job = launch()
    if not job:
        return
    ok = wait(lambda: last_step() >= 7, 240)
    check("the job trains (7 steps within 240 s)", ok, diagnose(job))
    if not ok:
        sh("scancel", job)
        return
    check("the actors reach the learner's node over TLS", "TLS + token" in log_text(), log_text()[-2000:])

    # 2. Requeued: Slurm stops it and starts it again; the learner resumes from its checkpoint.
    before = last_step()
    r = sh("scontrol", "requeue", job)
    check("scontrol requeue", r.returncode == 0, r.stderr)
    ok = wait(lambda: "resumed at step" in log_text(), 300)
    check("the requeued job resumes from a checkpoint", ok, diagnose(job))
    m = re.findall(r"resumed at step (\d+)", log_text())
    resumed = int(m[-1]) if m else -1
    # Slurm's requeue sends SIGTERM first: the learner checkpoints its last finished step, and resumes there.
    check("the requeue's SIGTERM checkpoints the last step and the job resumes there",
          resumed >= before and f"stopped: checkpoint at step {resumed}" in log_text(),
          f"resumed at {resumed}, last step seen before the requeue {before}")
    ok = wait(lambda: last_step() >= max(before, resumed) + 3, 240)
    check("steps go on after the requeue", ok, diagnose(job))

    # 3. scancel: the learner checkpoints its last finished step and stops; the job leaves the queue.
    r = sh("scancel", job)
    check("scancel", r.returncode == 0, r.stderr)
    gone = wait(lambda: job_state(job) == "GONE", 120)
    check("the cancelled job leaves the queue", gone, diagnose(job))
    stops = re.findall(r"stopped: checkpoint at step (\d+)", log_text())
    check("scancel makes the learner checkpoint and stop", bool(stops), diagnose(job))
    stopped = int(stops[-1]) if stops else -1
    ckpts = os.path.join(run_dir, "checkpoints")
    check("the checkpoint of the last step is on disk", os.path.isdir(os.path.join(ckpts, f"step-{stopped:06d}")),
          os.listdir(ckpts) if os.path.isdir(ckpts) else "no checkpoints")
    check("the stop came at the last step in the metrics", stopped == last_step(), f"{stopped} vs {last_step()}")

    # 4. Launched again: resumes where scancel stopped it.
    job2 = launch()
    if not job2:
        return
    ok = wait(lambda: f"resumed at step {stopped}" in log_text() and last_step() >= stopped + 2, 300)
    check("a new launch resumes at the cancelled job's checkpoint", ok, diagnose(job2))
    sh("scancel", job2)
    wait(lambda: job_state(job2) == "GONE", 120)

    # The run's record.
    steps = [row["step"] for row in metrics()]
    check("every step once, in order, from 0", steps == list(range(len(steps))), steps)
    bad = [row["step"] for row in metrics()
           if "groups/generated" in row and row["groups/generated"] != sum(
               row.get(k, 0) for k in ("groups/trained", "groups/filtered", "groups/dropped_reward", "groups/held"))]
    check("groups accounted for at every step", not bad, bad[:10])
    outs = [f for f in os.listdir(run_dir) if f.startswith("slurm-")]
    check("Slurm's output file is in the run directory", outs, os.listdir(run_dir))


def main():
    r = subprocess.run(["bash", os.path.join(here, "slurm", "slurm_up.sh"), cluster], capture_output=True,
                       text=True, env=env, timeout=900)
    check("a Slurm cluster on this host (slurm_up.sh)", r.returncode == 0, r.stdout + r.stderr)
    try:
        if r.returncode == 0:
            scenario()
    finally:
        subprocess.run(["bash", os.path.join(here, "slurm", "slurm_down.sh"), cluster, "--keep-dir"],
                       capture_output=True, env=env, timeout=300)
    finish_checks(work)


if __name__ == "__main__":
    main()
