#!/usr/bin/env python3
"""An example remote reward server for ascent (proto/reward.proto), in Python with grpcio.

The reward: 1.0 when the completion's last number equals the reference answer (as numbers), else 0.0 -- a
minimal verifier to show the shape; replace score_item() with yours. Batches are scored item by item and an
item that raises is reported as not ok with the exception text, so one bad item never fails the batch.
Other servers reuse serve() (examples/reasoning_gym/reward_server.py).

Run: ASCENT_REWARD_TOKEN=... python3 server.py --port 50051   (prints "listening on PORT" once serving; --port 0
picks a free port). Every call must carry "authorization: Bearer $ASCENT_REWARD_TOKEN" (docs/security.md): ascent
gives the servers it starts a token of their own; for a server you run, give ascent the same token in the
variable rewards.remote[].token_env names. Calls without it are refused with UNAUTHENTICATED.
Needs: grpcio and protobuf (Debian: python3-grpcio python3-protobuf) and protoc (protobuf-compiler) to
generate reward_pb2.py from proto/reward.proto on first run.
--test-behaviours makes completions containing SLOW sleep 30 s, NAN return NaN, RAISE raise, EXIT end the
server: the test suite uses them to check that ascent isolates such items and starts a server again.
"""
import argparse
import os
import hashlib
import hmac
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def load_messages():
    """reward_pb2.py, generated once per version of the proto into $ASCENT_CACHE (default ~/.cache/ascent)."""
    proto = os.path.join(PROTO_ROOT, "proto/reward.proto")
    with open(proto, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    cache = os.environ.get("ASCENT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ascent")
    out = os.path.join(cache, "reward_pb2", digest)
    if not os.path.exists(os.path.join(out, "proto", "reward_pb2.py")):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=digest + ".", dir=os.path.dirname(out))
        subprocess.run(["protoc", f"-I{PROTO_ROOT}", f"--python_out={tmp}", proto], check=True)
        try:
            os.rename(tmp, out)  # atomic: a concurrent start that won keeps its copy
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.path.insert(0, out)
    from proto import reward_pb2  # noqa: E402  (generated just above)
    return reward_pb2


pb = load_messages()
TEST_BEHAVIOURS = False


def last_number(text):
    nums = re.findall(r"-?\d+(?:\.\d+)?", text)
    return float(nums[-1]) if nums else None


def score_item(item):
    """The reward of one completion: replace this with your own."""
    if TEST_BEHAVIOURS:
        if "SLOW" in item.completion:
            time.sleep(30)
        if "NAN" in item.completion:
            return float("nan"), "nan on purpose"
        if "RAISE" in item.completion:
            raise ValueError("cannot score this on purpose")
        if "EXIT" in item.completion:
            os._exit(3)
    got, want = last_number(item.completion), last_number(item.answer)
    if got is None:
        return 0.0, "no number in the completion"
    return (1.0, "matches") if want is not None and abs(got - want) < 1e-9 else (0.0, f"{got} != {item.answer}")


def score_batch(score_item_fn):
    """A Score handler over score_item_fn(item) -> (reward, reason): an item that raises is reported as not
    ok with the exception text, so one bad item never fails the batch."""
    def score(request, context):
        results = []
        for item in request.items:
            try:
                reward, reason = score_item_fn(item)
                results.append(pb.ItemResult(reward=reward, ok=True, reason=reason))
            except Exception as e:  # noqa: BLE001 - report, never fail the batch
                results.append(pb.ItemResult(ok=False, reason=f"{type(e).__name__}: {e}"))
        return pb.ScoreResponse(results=results)
    return score


def exit_when_stdin_closes():
    """A server that ascent started (rewards.remote[].command; it sets ASCENT_REWARD_SERVER_PIPE=1) gets a pipe
    as stdin: ascent closing it, or dying, ends the server, so no server outlives its actor."""
    if os.environ.get("ASCENT_REWARD_SERVER_PIPE") != "1":
        return

    def watch():
        while os.read(0, 4096):
            pass
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


class TokenCheck(grpc.ServerInterceptor):
    """Refuses every call whose bearer token is not the server's (compared in constant time)."""

    def __init__(self, token):
        self._want = ("Bearer " + token).encode()

        def deny(request, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "refused: no token or a wrong one")
        self._deny = grpc.unary_unary_rpc_method_handler(deny)

    def intercept_service(self, continuation, details):
        got = dict(details.invocation_metadata).get("authorization", "")
        if hmac.compare_digest(got.encode(), self._want):
            return continuation(details)
        return self._deny


def serve(score_item_fn, port, host="127.0.0.1", tls_cert=None, tls_key=None):
    """Serves RewardService on host:port (0: a free one), prints "listening on PORT" (the line ascent
    waits for), and blocks. With tls_cert and tls_key (PEM files) it speaks TLS: a server beyond loopback
    should (ascent's side: rewards.remote[].tls_ca names the CA that signed the certificate)."""
    exit_when_stdin_closes()
    token = os.environ.get("ASCENT_REWARD_TOKEN", "")
    if not token:
        sys.exit("reward server: ASCENT_REWARD_TOKEN is not set: every call must carry the run's token "
                 "(docs/security.md)")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=(TokenCheck(token),),
                         options=[("grpc.max_receive_message_length", 64 << 20)])
    handler = grpc.method_handlers_generic_handler("ascent.reward.v1.RewardService", {
        "Score": grpc.unary_unary_rpc_method_handler(score_batch(score_item_fn),
                                                     request_deserializer=pb.ScoreRequest.FromString,
                                                     response_serializer=pb.ScoreResponse.SerializeToString)})
    server.add_generic_rpc_handlers((handler,))
    if tls_cert:
        with open(tls_cert, "rb") as c, open(tls_key, "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port(f"{host}:{port}", creds)
    else:
        port = server.add_insecure_port(f"{host}:{port}")
    server.start()
    print(f"listening on {port}", flush=True)
    # ascent reads only that line: later prints go to stderr, so a full stdout pipe never blocks the server.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    server.wait_for_termination()


def main():
    global TEST_BEHAVIOURS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=50051)
    ap.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    ap.add_argument("--tls-cert", help="PEM certificate: serve over TLS (with --tls-key)")
    ap.add_argument("--tls-key", help="PEM private key of --tls-cert")
    ap.add_argument("--test-behaviours", action="store_true")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    TEST_BEHAVIOURS = args.test_behaviours
    serve(score_item, args.port, args.host, args.tls_cert, args.tls_key)


if __name__ == "__main__":
    main()
