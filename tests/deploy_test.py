#!/usr/bin/env python3
"""`ascent launch --dry-run` (ctest deploy_render). Usage: deploy_test.py ASCENT.

Renders one recipe's cluster: section for Slurm, Kubernetes and mpirun and reads the files back:
- k8s: every object passes the Kubernetes OpenAPI schema (PyPI's kubernetes-validate, strict, offline; a
  manifest with a made-up field fails it, so the check can fail); the learner Job, the actors' Indexed Job
  (one pod per actor, completions = run.actors), the headless Service's name and port, the actors dialling
  that Service's DNS name on that port, the PersistentVolumeClaim mounted in both, the Secret holding the
  run's secret (the one in <run dir>/secret), the recipe in the ConfigMap;
- slurm: bash -n; a heterogeneous job (learner ranks per node, actors per node), --requeue, the learner's node
  from SLURM_JOB_NODELIST_HET_GROUP_0, the port;
- mpirun: bash -n; hostfiles with slots per host;
- the run directory got its secret (mode 0600) and a CA that verifies the learner's certificate (openssl);
- errors: no cluster: section, actors that do not add up, a Kubernetes learner over 2 nodes, mpirun without
  enough hosts: each names the key.
"""
import os
import re
import stat
import subprocess
import sys
import tempfile

import yaml  # Debian's python3-yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

ascent = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp(prefix="ascent-deploy-")

RECIPE = """name: Deploy_Run
seed: 3
model: {path: /models/policy}
data: {builtin: arithmetic, builtin_size: 400}
generation: {max_tokens: 4, slots: 16}
algorithm: {group_size: 4, prompts_per_step: 4}
rewards: {verifier: math}
run: {steps: 10, actors: 6, learner_ranks: 4, dir: runs}
cluster:
  learner_nodes: %(learner_nodes)d
  gpus_per_node: %(gpus)d
  actor_nodes: 3
  actors_per_node: %(apn)d
  port: 29511
  hosts: %(hosts)s
  slurm: {partition: gpu, time: "02:00:00", options: ["--exclusive"]}
  k8s: {image: "ghcr.io/example/ascent:1", namespace: rl, volume_claim: ascent-runs, runs_mount: /runs}
"""


def recipe(name="r.yaml", learner_nodes=1, gpus=4, apn=2, hosts="[h0, h1, h2, h3]"):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(RECIPE % dict(learner_nodes=learner_nodes, gpus=gpus, apn=apn, hosts=hosts))
    return path


def launch(path, on):
    return subprocess.run([ascent, "launch", path, "--on", on, "--dry-run"], cwd=work, capture_output=True, text=True)


path = recipe()
files = {}
for on in ("slurm", "k8s", "mpirun"):
    r = launch(path, on)
    check(f"{on}: rendered", r.returncode == 0, r.stderr)
    files[on] = r.stdout.split()
    check(f"{on}: the files are printed and exist", files[on] and all(os.path.exists(f) for f in files[on]), r.stdout)
run_dir = os.path.join(work, "runs", "Deploy_Run")

# The run's secret and CA, made before anything is placed.
secret_path = os.path.join(run_dir, "secret")
check("the run secret is mode 0600", stat.S_IMODE(os.stat(secret_path).st_mode) == 0o600)
secret = open(secret_path).read().strip()
tls = os.path.join(run_dir, "tls")
r = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(tls, "ca.pem"), "-verify_hostname", "ascent-learner",
                    os.path.join(tls, "server.pem")], capture_output=True, text=True)
check("the per-run CA verifies the learner's certificate", r.returncode == 0, r.stdout + r.stderr)

# Kubernetes: the schema, then what the objects say.
k8s = [f for f in files["k8s"] if f.endswith(".yaml")][0]
check("the manifest is mode 0600 (it holds the secret)", stat.S_IMODE(os.stat(k8s).st_mode) == 0o600)
venv_python = subprocess.run(["bash", os.path.join(root, "bench", "ref_venv.sh"), "kubernetes_validate",
                              "kubernetes-validate"], capture_output=True, text=True).stdout.strip()
validate = [venv_python, "-m", "kubernetes_validate", "--strict", "-k", "1.30.0"]
r = subprocess.run(validate + [k8s], capture_output=True, text=True)
check("k8s: every object passes the Kubernetes 1.30 schema (strict)", r.returncode == 0 and "passed" in r.stdout,
      r.stdout + r.stderr)
docs = list(yaml.safe_load_all(open(k8s)))
bad = os.path.join(work, "bad.yaml")
with open(bad, "w") as f:
    yaml.safe_dump_all([dict(d, spec=dict(d["spec"], bogusField=1)) if d["kind"] == "Service" else d for d in docs], f)
r = subprocess.run(validate + [bad], capture_output=True, text=True)
check("k8s: a made-up field fails the same check", r.returncode != 0, r.stdout + r.stderr)
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}


def fnv1a(text):
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) % (1 << 32)
    return f"{h:08x}"


base = "ascent-deploy-run-" + fnv1a("Deploy_Run")  # the run's name, DNS-safe, with a hash of the whole name
svc = by.get(("Service", base))
check("k8s: a headless Service named for the run", svc and svc["spec"]["clusterIP"] == "None", list(by))
check("k8s: the Service's port is cluster.port", svc and svc["spec"]["ports"][0]["port"] == 29511, svc)
learner = by.get(("Job", base))
actors = by.get(("Job", base + "-actors"))
check("k8s: the learner Job and the actors' Job", learner and actors, list(by))
lc = learner["spec"]["template"]["spec"]["containers"][0]
check("k8s: the pod's 4 ranks start through mpirun", lc["command"][:3] == ["mpirun", "-np", "4"], lc["command"])
check("k8s: the learner listens on the port, beyond loopback, resuming on restart",
      "learner" in lc["command"] and "--requeue" in lc["command"] and
      lc["command"][lc["command"].index("--port") + 1] == "29511" and
      lc["command"][lc["command"].index("--bind") + 1] == "0.0.0.0", lc["command"])
check("k8s: one learner pod with its 4 GPUs (the 4 ranks)", learner["spec"]["completions"] == 1 and
      lc["resources"]["limits"] == {"nvidia.com/gpu": 4}, learner["spec"])
check("k8s: the selector finds the learner pod", all(
    learner["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in svc["spec"]["selector"].items()))
check("k8s: one actor pod per actor (Indexed, completions = run.actors)",
      actors["spec"]["completionMode"] == "Indexed" and actors["spec"]["completions"] == 6, actors["spec"])
ac = actors["spec"]["template"]["spec"]["containers"][0]
check("k8s: actors dial the Service's DNS name and port, named by their index",
      f"--learner {base}.rl.svc:29511" in ac["command"][2] and "actor-$JOB_COMPLETION_INDEX" in ac["command"][2],
      ac["command"])
for job, name in ((learner, "learner"), (actors, "actors")):
    vols = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in job["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    check(f"k8s: the {name} mount the run directory's claim at runs_mount",
          vols["runs"]["persistentVolumeClaim"]["claimName"] == "ascent-runs" and mounts["runs"] == "/runs", (vols, mounts))
    check(f"k8s: the {name} get the run secret from the Secret",
          job["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["secretRef"]["name"] == base + "-secret")
sec = by.get(("Secret", base + "-secret"))
check("k8s: the Secret holds the run's secret", sec and sec["stringData"]["ASCENT_RUN_SECRET"] == secret)
cm = by.get(("ConfigMap", base + "-recipe"))
check("k8s: the ConfigMap holds the recipe as written", cm and cm["data"]["recipe.yaml"].strip() == open(path).read().strip())
check("k8s: every object in the namespace", all(d["metadata"]["namespace"] == "rl" for d in docs))
check("k8s: labels are DNS-safe names", all(re.fullmatch(r"[a-z0-9-]{1,63}", d["metadata"]["labels"]["ascent/run"])
                                            for d in docs), [d["metadata"]["labels"] for d in docs])
# Two runs whose names differ past the cut or in case get objects of their own; an indented first line of
# the recipe stays the ConfigMap's text.
names = set()
for n in ("sweep-" + "x" * 40 + "-seed1", "sweep-" + "x" * 40 + "-seed2", "Sweep-" + "x" * 40 + "-seed1"):
    p = os.path.join(work, n + ".yaml")
    with open(p, "w") as f:
        f.write("  # an indented comment first\n" + open(path).read().replace("name: Deploy_Run", "name: " + n))
    r = launch(p, "k8s")
    check(f"k8s: {n[:12]}... rendered", r.returncode == 0, r.stderr)
    d = list(yaml.safe_load_all(open(r.stdout.split()[0])))
    names.add(d[0]["metadata"]["name"])
    cm2 = [x for x in d if x["kind"] == "ConfigMap"][0]
    check(f"k8s: {n[:12]}... recipe text kept", cm2["data"]["recipe.yaml"].startswith("  # an indented comment"),
          cm2["data"]["recipe.yaml"][:80])
check("k8s: three runs, three object names", len(names) == 3, names)

# Slurm.
sb = files["slurm"][0]
r = subprocess.run(["bash", "-n", sb], capture_output=True, text=True)
check("slurm: bash -n", r.returncode == 0, r.stderr)
text = open(sb).read()
head, _, tail = text.partition("#SBATCH hetjob")
check("slurm: a heterogeneous job: learner component, then actors",
      "--ntasks-per-node=4" in head and "--gpus-per-node=4" in head and "--ntasks-per-node=2" in tail and
      re.search(r"#SBATCH --nodes=3", tail), text[:1500])
check("slurm: requeue, partition, time and the extra option", all(s in text for s in (
    "#SBATCH --requeue", "#SBATCH --partition=gpu", "#SBATCH --time=02:00:00", "#SBATCH --exclusive")))
check("slurm: the learner's node from Slurm, its port, resume on restart, ranks through PMIx",
      "SLURM_JOB_NODELIST_HET_GROUP_0" in text and "--port 29511" in text and "--requeue" in text and
      "--mpi=pmix" in text)

# mpirun.
ms = [f for f in files["mpirun"] if f.endswith(".sh")][0]
r = subprocess.run(["bash", "-n", ms], capture_output=True, text=True)
check("mpirun: bash -n", r.returncode == 0, r.stderr)
hosts_dir = os.path.dirname(ms)
check("mpirun: learner.hosts", open(os.path.join(hosts_dir, "learner.hosts")).read() == "h0 slots=4\n")
check("mpirun: actor.hosts", open(os.path.join(hosts_dir, "actor.hosts")).read() == "h1 slots=2\nh2 slots=2\nh3 slots=2\n")
check("mpirun: actors dial the first host", "LEARNER_HOST=h0" in open(ms).read())

# Errors that name what to fix.
nocl = os.path.join(work, "nocluster.yaml")
with open(nocl, "w") as f:
    f.write(RECIPE.split("cluster:")[0])
r = launch(nocl, "slurm")
check("no cluster: section: an error", r.returncode != 0 and "no cluster: section" in r.stderr, r.stderr)
r = launch(recipe("apn.yaml", apn=3), "slurm")
check("actors that do not add up: the key is named", r.returncode != 0 and "cluster.actors_per_node" in r.stderr and
      "must equal run.actors (6)" in r.stderr, r.stderr)
r = launch(recipe("two.yaml", learner_nodes=2, gpus=2), "k8s")
check("a Kubernetes learner over 2 nodes: refused, saying why", r.returncode != 0 and "cluster.learner_nodes" in r.stderr,
      r.stderr)
r = launch(recipe("few.yaml", hosts="[h0]"), "mpirun")
check("mpirun without enough hosts: cluster.hosts named", r.returncode != 0 and "cluster.hosts" in r.stderr, r.stderr)
inj = os.path.join(work, "inj.yaml")
with open(inj, "w") as f:
    f.write(open(path).read().replace('options: ["--exclusive"]', 'options: ["--exclusive\\n#SBATCH --uid=0"]'))
r = launch(inj, "slurm")
check("a line break in an sbatch option: refused, naming the key",
      r.returncode != 0 and "cluster.slurm.options" in r.stderr, r.stderr)
spaced = os.path.join(work, "spaced dir")
os.makedirs(spaced, exist_ok=True)
with open(os.path.join(spaced, "r.yaml"), "w") as f:
    f.write(open(path).read())
r = launch(os.path.join(spaced, "r.yaml"), "slurm")
check("a run directory with a space: refused for Slurm's --output", r.returncode != 0 and "run.dir" in r.stderr,
      r.stderr)
r = launch(path, "pbs")
check("an unknown scheduler: refused", r.returncode != 0 and "slurm, k8s or mpirun" in r.stderr, r.stderr)
finish(work)
