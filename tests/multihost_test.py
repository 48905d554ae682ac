#!/usr/bin/env python3
"""Multi-host on one machine (ctest multihost_netns; needs root). Usage: multihost_test.py ASCENT.

Three network namespaces on one bridge: the learner in one (10.200.0.1, run.bind: its port leaves loopback, so
it uses TLS with the run's own CA and the run's token), two actors in another (10.200.0.2), a stranger in a
third (10.200.0.3). The parts start as a scheduler would start them: `ascent learner` with the run secret in
ASCENT_RUN_SECRET, each `ascent actor` with only its own token in ASCENT_TOKEN, derived here with Python's
hmac (an independent implementation of the derivation in core/run_secret.h).

Checked: the actors train with the learner across namespaces; the stranger is refused on every path (plaintext
to a TLS port; TLS without a token; a made-up token; another actor's name), and raw garbage, a truncated HTTP/2
exchange, 1,000 idle connections and a 100 MB message do not stop the learner; the refusals are counted in
auth/refused and each peer is named in the log. Then the actors' link goes down for 5 s (ip link set down) and
comes back: steps go on, a scheduler's stop (SIGINT) ends the run with a checkpoint, every step is in the
metrics once, every group is accounted for (generated = trained + filtered + dropped_reward + held), no group is
refused or given up, and both actors exit 0.
"""
import ast
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish as finish_checks, tiny_run, wait  # noqa: E402

SKIP = 77  # ctest's SKIP_RETURN_CODE for this test
if os.geteuid() != 0 or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    print("skipped: network namespaces need root and iproute2")
    sys.exit(SKIP)
try:
    import grpc  # Debian's python3-grpcio (scripts/install_deps.sh)
except ImportError:
    print("skipped: python3-grpcio is missing (scripts/install_deps.sh installs it)")
    sys.exit(SKIP)

ascent = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="ascent-multihost-")
tag = str(os.getpid() % 100000)
NS = {"l": f"ascl{tag}", "a": f"asca{tag}", "r": f"ascr{tag}"}
IP = {"l": "10.200.0.1", "a": "10.200.0.2", "r": "10.200.0.3"}
BRIDGE = f"ascbr{tag}"


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r


def net_up():
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "link", "set", BRIDGE, "up")
    for k, ns in NS.items():
        sh("ip", "netns", "add", ns)
        inner, outer = f"v{k}{tag}", f"p{k}{tag}"
        sh("ip", "link", "add", inner, "type", "veth", "peer", "name", outer)
        sh("ip", "link", "set", outer, "master", BRIDGE)
        sh("ip", "link", "set", outer, "up")
        sh("ip", "link", "set", inner, "netns", ns)
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", IP[k] + "/24", "dev", inner)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", inner, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


def net_down():
    for k, ns in NS.items():
        sh("ip", "link", "del", f"p{k}{tag}", check_rc=False)
        sh("ip", "netns", "del", ns, check_rc=False)
    sh("ip", "link", "del", BRIDGE, check_rc=False)


def in_ns(k, argv, env=None, **kw):
    e = dict(os.environ)
    e.pop("ASCENT_RUN_SECRET", None)
    e.pop("ASCENT_TOKEN", None)
    e.update(env or {})
    return subprocess.Popen(["ip", "netns", "exec", NS[k], *argv], cwd=work, env=e, text=True, **kw)


def metrics(name):
    with open(os.path.join(work, "runs", name, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def last_step(name):
    try:
        return metrics(name)[-1]["step"]
    except (OSError, ValueError, IndexError, KeyError):
        return -1


# The stranger's tries: a Python program run in the third namespace (python3 -c), printing what each try got.
STRANGER = r'''
import os, socket, sys, time, grpc
host, port, ca, wport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[5])
target = f"{host}:{port}"
register = bytes([0x0a, 7]) + b"actor-0" + bytes([0x12, 5]) + b"rogue"   # RegisterRequest{actor-0, rogue}
out = {}
def call(channel, md, payload=register, timeout=10):
    f = channel.unary_unary("/ascent.rollout.v1.RolloutService/Register",
                            request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        f(payload, metadata=md, timeout=timeout)
        return "OK"
    except grpc.RpcError as e:
        return e.code().name
out["plaintext"] = call(grpc.insecure_channel(target), None, timeout=5)
creds = grpc.ssl_channel_credentials(open(ca, "rb").read())
big = [("grpc.max_send_message_length", -1), ("grpc.ssl_target_name_override", "ascent-learner")]
tls = grpc.secure_channel(target, creds, options=big)
out["tls_no_token"] = call(tls, None)
out["tls_made_up_token"] = call(tls, [("authorization", "Bearer " + "ab" * 32), ("x-ascent-actor", "actor-0")])
out["tls_other_actors_name"] = call(tls, [("authorization", "Bearer " + sys.argv[4]), ("x-ascent-actor", "actor-0")])
out["tls_100mb"] = call(tls, None, payload=b"\x0a" + b"\xff" * 100_000_000, timeout=60)
weights = grpc.secure_channel(f"{host}:{wport}", creds, options=big)
manifest = weights.unary_unary("/ascent.weights.v1.WeightService/GetManifest",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
try:
    manifest(b"", timeout=10)
    out["weights_no_token"] = "OK"
except grpc.RpcError as e:
    out["weights_no_token"] = e.code().name
try:
    manifest(b"\x0a" + b"\xff" * 100_000_000, timeout=60)
    out["weights_100mb"] = "OK"
except grpc.RpcError as e:
    out["weights_100mb"] = e.code().name
def raw(p, data):
    """Bytes straight onto the port's socket, then whatever comes back (nothing is expected to survive)."""
    s = socket.create_connection((host, p), timeout=10)
    try:
        s.sendall(data)
        s.settimeout(5)
        s.recv(1 << 16)
    except OSError:
        pass
    finally:
        s.close()
for p in (port, wport):
    raw(p, os.urandom(1 << 20))                                                     # garbage
    raw(p, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 18, 4, 0, 0, 0, 0, 0]))  # a cut SETTINGS frame
idle = []
for _ in range(1000):                                                    # connections that never speak
    try:
        idle.append(socket.create_connection((host, port), timeout=5))
    except OSError:
        break
out["idle_connections"] = len(idle)
time.sleep(3)
for s in idle:
    s.close()
print("STRANGER " + repr(out), flush=True)
'''


def main():
    net_up()
    parts = []
    try:
        run(parts)
    finally:
        for p in parts:
            if p.poll() is None:
                p.kill()
        net_down()
    finish_checks(work)


def run(parts):
    name = "multihost"
    recipe = tiny_run(ascent, work, name, f"""  bind: {IP["l"]}
  weight_shm: false  # the namespaces share /dev/shm; across hosts the weights come over the network
  checkpoint: {{every: 0}}
""")
    secret = secrets.token_hex(32)

    def token(actor):
        return hmac.new(secret.encode(), f"actor/{actor}".encode(), hashlib.sha256).hexdigest()

    learner = in_ns("l", [ascent, "learner", "--recipe", recipe, "--no-progress", "--lost-after", "30"],
                    env={"ASCENT_RUN_SECRET": secret}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    parts.append(learner)
    addr_file = os.path.join(work, "runs", name, "learner.addr")
    ca = os.path.join(work, "runs", name, "tls", "ca.pem")
    ok = wait(lambda: os.path.exists(addr_file) and open(addr_file).read().strip(), 120)
    check("the learner listens", ok and learner.poll() is None)
    if not ok:
        return
    address = open(addr_file).read().strip()
    check("it names its own address beyond loopback", address.startswith(IP["l"] + ":"), address)
    check("it made the run's CA (TLS beyond loopback)", os.path.exists(ca))
    actors = [in_ns("a", [ascent, "actor", "--learner", address, "--recipe", recipe, "--name", f"actor-{i}"],
                    env={"ASCENT_TOKEN": token(f"actor-{i}")}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
              for i in range(2)]
    parts.extend(actors)
    check("the actors train across namespaces", wait(lambda: last_step(name) >= 4, 180), last_step(name))

    host, port = address.rsplit(":", 1)
    log = open(os.path.join(work, "runs", name, "log.txt")).read()
    wport = re.search(r"\(weights (\d+);", log)
    check("the log names the weights port", wport is not None, log[-1000:])
    stranger = in_ns("r", [sys.executable, "-c", STRANGER, host, port, ca, token("actor-1"), wport.group(1)],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    s_out = stranger.communicate(timeout=240)[0]
    tries = {}
    for line in s_out.splitlines():
        if line.startswith("STRANGER "):
            tries = ast.literal_eval(line[len("STRANGER "):])
    check("the stranger ran its tries", bool(tries), s_out[-2000:])
    check("plaintext to the TLS port fails", tries.get("plaintext") == "UNAVAILABLE", tries)
    for k in ("tls_no_token", "tls_made_up_token", "tls_other_actors_name"):
        check(f"{k}: UNAUTHENTICATED", tries.get(k) == "UNAUTHENTICATED", tries)
    check("a 100 MB message is refused", tries.get("tls_100mb") == "RESOURCE_EXHAUSTED", tries)
    check("1,000 idle connections were opened", tries.get("idle_connections", 0) >= 1000, tries)
    check("the weights port: no token, UNAUTHENTICATED", tries.get("weights_no_token") == "UNAUTHENTICATED", tries)
    check("the weights port: a 100 MB request refused", tries.get("weights_100mb") == "RESOURCE_EXHAUSTED", tries)
    before = last_step(name)
    check("the learner steps on after the stranger", wait(lambda: last_step(name) >= before + 2, 120),
          (before, last_step(name)))

    # The actors' link goes down for 5 s and comes back; the run goes on, then a scheduler's stop (SIGINT).
    link = f"pa{tag}"
    sh("ip", "link", "set", link, "down")
    time.sleep(5)
    down_end = last_step(name)
    sh("ip", "link", "set", link, "up")
    check("the actors come back: steps go on after the link is up", wait(lambda: last_step(name) >= down_end + 10, 180),
          (down_end, last_step(name)))
    learner.send_signal(2)
    out = learner.communicate(timeout=300)[0]
    check("the learner stops with a checkpoint", learner.returncode == 130 and "stopped: checkpoint at step" in out,
          (learner.returncode, out[-3000:]))
    steps = metrics(name)[-1]["step"]
    codes = []
    for a in actors:
        try:
            a_out = a.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            a.kill()
            a_out = a.communicate()[0]
        codes.append((a.returncode, a_out[-600:]))
    check("both actors exit 0", all(c == 0 for c, _ in codes), codes)
    check("the weights came over the network, not shared memory",
          all(re.search(r"[1-9]\d* weight updates \(0 through shared memory", out) for _, out in codes), codes)
    m = metrics(name)
    check("steps 0..N one by one", [x["step"] for x in m] == list(range(steps + 1)), [x["step"] for x in m])
    train = [x for x in m if x["step"] > 0]
    acc = [(x["groups/generated"], x["groups/trained"] + x["groups/filtered"] + x["groups/dropped_reward"] +
            x["groups/held"]) for x in train]
    check("every group accounted for at every step", all(a == b for a, b in acc), acc)
    check("every step's groups were trained or filtered",
          train[-1]["groups/trained"] + train[-1]["groups/filtered"] == steps * 4, train[-1])
    check("no group refused, none given up", train[-1].get("groups/dropped_invalid", 0) == 0 and
          train[-1].get("leases/given_up", 0) == 0, train[-1])
    # Refused by the token check: no token, a made-up one, another actor's, the weights port without one
    # (plaintext fails in the TLS handshake and the 100 MB messages at the size limit, before any token).
    check("the refusals are counted (auth/refused)", train[-1].get("auth/refused", 0) == 4, train[-1])
    check("the log names the stranger's address", f"from ipv4:{IP['r']}" in out, out[-3000:])


if __name__ == "__main__":
    main()
