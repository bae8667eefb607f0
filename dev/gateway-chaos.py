"""Unmodified Triton clients through the gateway while one replica is killed, drained or hung.

Sends ghost-track requests through the gateway that `dev/gateway.sh start` left running, from plain
tritonclient gRPC and HTTP threads (no retries of their own), applies a fault to the replicas at a
set time, and prints one JSON object: requests sent, answered, failed (with the first errors), wrong
answers, and executions counted by the replicas' own statistics against the answers the gateway
logged for each replica.

    .venv/bin/python dev/gateway-chaos.py --state-dir DIR --fault kill [--victim 0] [--fault-at 2]
        [--duration 6] [--grpc-clients 2] [--http-clients 2] [--model lhcb_ghost_mlp]

Faults:
  none     no fault (the baseline)
  kill     SIGKILL the victim
  drain    SIGTERM the victim (it drains and exits)
  hang     SIGSTOP the victim (it stops answering without closing); SIGKILL when the load ends
  rolling  `dev/gateway.sh restart` every replica in turn (drain, start again on the same ports)

Execution accounting: each replica's `success.count` for the model is read before the load and, for
each replica alive at the end, after it; a replica that was restarted or drained logs its final
counts when it stops (`final statistics` lines), which are used for its lifetime. `executions` is the
sum; `duplicates` is executions minus answered requests, counted only over replicas whose final
count is known (a SIGKILLed or hung replica's work dies with it and cannot be counted: it answered
nothing the clients saw, and whatever it ran is re-run elsewhere by the gateway).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "dev"))
from gateway_state import read_env, read_replicas, success_count  # noqa: E402


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.answered = 0
        self.failed = 0
        self.wrong = 0
        self.errors: list[str] = []

    def record(self, ok: bool, correct: bool, error: str | None) -> None:
        with self.lock:
            self.sent += 1
            if ok:
                self.answered += 1
                if not correct:
                    self.wrong += 1
            else:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(error or "?")

    def summary(self) -> dict[str, object]:
        return {"sent": self.sent, "answered": self.answered, "failed": self.failed, "wrong": self.wrong,
                "errors": self.errors}


def make_inputs(count: int, features: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(size=(1, features)).astype(np.float32) for _ in range(count)]


def worker(protocol: str, url: str, model: str, inputs, expected, stop: threading.Event, tally: Tally,
           in_name: str, out_name: str) -> None:
    """Sends the inputs round and round over one tritonclient connection until `stop`, counting each answer."""
    if protocol == "grpc":
        client = grpcclient.InferenceServerClient(url)

        def infer(x: np.ndarray):
            tensor = grpcclient.InferInput(in_name, list(x.shape), "FP32")
            tensor.set_data_from_numpy(x)
            return client.infer(model, [tensor], outputs=[grpcclient.InferRequestedOutput(out_name)])
    else:
        client = httpclient.InferenceServerClient(url, connection_timeout=60, network_timeout=60)

        def infer(x: np.ndarray):
            tensor = httpclient.InferInput(in_name, list(x.shape), "FP32")
            tensor.set_data_from_numpy(x, binary_data=True)
            return client.infer(model, [tensor],
                                outputs=[httpclient.InferRequestedOutput(out_name, binary_data=True)])
    i = 0
    while not stop.is_set():
        x, want = inputs[i % len(inputs)], expected[i % len(inputs)]
        i += 1
        try:
            got = infer(x).as_numpy(out_name)
            tally.record(True, got is not None and np.allclose(got, want, rtol=1e-5, atol=1e-6), None)
        except Exception as error:  # noqa: BLE001 - every failure is counted, whatever its type
            tally.record(False, False, f"{protocol}: {error}")
    client.close()


def final_counts_from_log(log: Path, model: str) -> list[int]:
    """The `final statistics` counts a replica logged each time it stopped gracefully (one per stop)."""
    counts = []
    if not log.exists():
        return counts
    for line in log.read_text(errors="replace").splitlines():
        if "final statistics" in line and f"model={model}" in line:
            for part in line.split():
                if part.startswith("success="):
                    counts.append(int(part.split("=", 1)[1]))
    return counts


def answers_per_replica(log: Path, offset: int, model: str) -> dict[str, int]:
    """Inference requests the gateway answered with HTTP 200, per replica, from its log after OFFSET."""
    counts: dict[str, int] = {}
    if not log.exists():
        return counts
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    for line in text.splitlines():
        if "status=200" not in line:
            continue
        rest = f"/v2/models/{model}/" in line and "/infer " in line  # with or without /versions/N
        if "/inference.GRPCInferenceService/ModelInfer " not in line and not rest:
            continue
        for part in line.split():
            if "/replica" in part and part.startswith("offload_"):
                server = part.split("/", 1)[1]
                counts[server] = counts.get(server, 0) + 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--fault", choices=["none", "kill", "drain", "hang", "rolling"], default="kill")
    parser.add_argument("--victim", type=int, default=0)
    parser.add_argument("--fault-at", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--grpc-clients", type=int, default=2)
    parser.add_argument("--http-clients", type=int, default=2)
    parser.add_argument("--model", default="lhcb_ghost_mlp")
    parser.add_argument("--input", default="features")
    parser.add_argument("--output", default="ghost_prob")
    parser.add_argument("--features", type=int, default=17)
    parser.add_argument("--perf-analyzer", type=Path,
                        help="also run this perf_analyzer binary over gRPC and over HTTP (concurrency 1 each) "
                             "for the whole run; any failed request makes it exit non-zero")
    args = parser.parse_args()

    state = args.state_dir.resolve()
    env = read_env(state)
    listen = env.get("GATEWAY_LISTEN", "127.0.0.1")
    grpc_url = f"{listen}:{env['GATEWAY_GRPC_PORT']}"
    http_url = f"{listen}:{env['GATEWAY_HTTP_PORT']}"
    replicas = read_replicas(state)

    inputs = make_inputs(16, args.features)
    reference = httpclient.InferenceServerClient(f"127.0.0.1:{replicas[0]['http']}")
    expected = []
    for x in inputs:
        tensor = httpclient.InferInput(args.input, list(x.shape), "FP32")
        tensor.set_data_from_numpy(x, binary_data=True)
        expected.append(reference.infer(args.model, [tensor]).as_numpy(args.output))
    reference.close()

    before = {r["index"]: success_count(r["http"], args.model) for r in replicas}
    gateway_log = state / "haproxy" / "haproxy.log"
    log_offset = gateway_log.stat().st_size if gateway_log.exists() else 0
    stopped_logs_before = {r["index"]: len(final_counts_from_log(state / f"replica-{r['index']}.log", args.model))
                           for r in replicas}

    stop = threading.Event()
    tallies = {"grpc": Tally(), "http": Tally()}
    threads = []
    for protocol, url, count in (("grpc", grpc_url, args.grpc_clients), ("http", http_url, args.http_clients)):
        threads += [threading.Thread(target=worker, args=(protocol, url, args.model, inputs, expected, stop,
                                                          tallies[protocol], args.input, args.output))
                    for _ in range(count)]
    started = time.monotonic()
    for t in threads:
        t.start()
    analyzers = {}
    if args.perf_analyzer:
        # Three windows over the run; a stability threshold that every window meets, so that it stops then.
        window_ms = str(max(1000, int(args.duration * 1000 / 3)))
        for protocol, url in (("grpc", grpc_url), ("http", http_url)):
            analyzers[protocol] = subprocess.Popen(
                [str(args.perf_analyzer), "-m", args.model, "-x", "1", "-u", url, "-i", protocol, "--concurrency-range", "1",
                 "--measurement-interval", window_ms, "-s", "1000", "-r", "3"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    victim = next(r for r in replicas if r["index"] == args.victim)
    fault_log = []
    time.sleep(args.fault_at)
    if args.fault == "kill":
        os.kill(victim["pid"], signal.SIGKILL)
        fault_log.append(f"SIGKILL replica {victim['index']} at {time.monotonic() - started:.2f}s")
    elif args.fault == "drain":
        os.kill(victim["pid"], signal.SIGTERM)
        fault_log.append(f"SIGTERM replica {victim['index']} at {time.monotonic() - started:.2f}s")
    elif args.fault == "hang":
        os.kill(victim["pid"], signal.SIGSTOP)
        fault_log.append(f"SIGSTOP replica {victim['index']} at {time.monotonic() - started:.2f}s")
    elif args.fault == "rolling":
        for r in replicas:
            t0 = time.monotonic()
            subprocess.run([str(REPO / "dev" / "gateway.sh"), "restart", "--state-dir", str(state),
                            "--index", str(r["index"])], check=True, stdout=subprocess.DEVNULL)
            fault_log.append(f"restarted replica {r['index']} in {time.monotonic() - t0:.2f}s")
    remaining = args.duration - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for t in threads:
        t.join()
    perf = {}
    for protocol, process in analyzers.items():
        out, _ = process.communicate(timeout=120)
        lines = out.strip().splitlines()
        throughput = next((line.strip() for line in lines if "Throughput:" in line), "")
        errors = [line.strip() for line in lines if "error" in line.lower()][:3]
        perf[protocol] = {"exit": process.returncode, "throughput": throughput, "errors": errors,
                          "tail": lines[-3:] if process.returncode else []}
    elapsed = time.monotonic() - started
    if args.fault == "hang":
        os.kill(victim["pid"], signal.SIGKILL)
    if args.fault == "drain":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{victim['pid']}").exists():
            time.sleep(0.05)

    # Executions: what each replica ran (its own statistics), against what the gateway says it answered.
    answered_by = answers_per_replica(state / "haproxy" / "haproxy.log", log_offset, args.model)
    after_replicas = read_replicas(state)
    per_replica = {}
    for r in replicas:
        index = r["index"]
        finals = final_counts_from_log(state / f"replica-{index}.log", args.model)[stopped_logs_before[index]:]
        current = next((a for a in after_replicas if a["index"] == index), None)
        now = None
        if current is not None and Path(f"/proc/{current['pid']}").exists():
            now = success_count(current["http"], args.model)
        executed = None
        if not (args.fault in ("kill", "hang") and index == args.victim):
            base = before[index] or 0
            if finals:
                # First life: from `before` to its first final count; each later life from zero.
                executed = finals[0] - base + sum(finals[1:]) + (now or 0)
            elif now is not None:
                executed = now - base
        per_replica[index] = {"answered": answered_by.get(f"replica{index}", 0), "executed": executed}
    counted = [v for v in per_replica.values() if v["executed"] is not None]
    answered = sum(t.answered for t in tallies.values())
    report = {
        "fault": args.fault,
        "faults": fault_log,
        "seconds": round(elapsed, 2),
        "grpc": tallies["grpc"].summary(),
        "http": tallies["http"].summary(),
        "answered": answered,
        "failed": sum(t.failed for t in tallies.values()),
        "wrong": sum(t.wrong for t in tallies.values()),
        "perf_analyzer": perf,
        "gateway_answered": sum(answered_by.values()),
        "replicas": per_replica,
        # Executions beyond the answers the gateway passed on, over the replicas whose count is known.
        "duplicates": sum(v["executed"] - v["answered"] for v in counted),
        "replicas_counted": len(counted),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
