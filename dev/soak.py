#!/usr/bin/env python3
"""Soak test of `offload serve` (not in CI): an hour of mixed load with periodic model reloads.

Usage:
    .venv/bin/python dev/soak.py                                   # 1 hour against .build/release/offload
    .venv/bin/python dev/soak.py --duration 300 --binary .build/debug/offload --output-dir /tmp/soak

Starts `offload serve` on 127.0.0.1 (free ports) over the model zoo (models/) plus a temporary repository
of fault-injection models (`--enable-test-backends`), in explicit model-control mode with every model
loaded, then for --duration seconds:

  - --concurrency worker threads send a mix of requests, paced at --rate requests/s in total: every zoo
    model with generated inputs (integers 0, booleans true, floats random), and fault models that echo;
    even-numbered workers speak gRPC, odd-numbered ones HTTP/REST (tritonclient, one client per thread);
  - some requests inject faults on purpose and count as "injected", not as errors, when they end as they
    should: ACTION=1 on `soak_fault_flaky` must fail with INTERNAL ("failed on demand"), ACTION=2 on
    `soak_fault_hang` (gRPC, a 300 ms deadline on a 2 s hang) must end with DEADLINE_EXCEEDED;
  - every --reload-secs one model, in turn, is reloaded through the repository API (RepositoryModelLoad);
  - every --sample-secs the server's resident memory (VmRSS, and VmHWM, its peak), threads and open file
    descriptors, with the running counts and the latency percentiles of the window, go to samples.csv.

Writes into --output-dir: samples.csv, server.log (the server's stderr), summary.json and summary.md
(RSS at start / after warm-up / peak / end and its growth over the second half, requests, errors by kind
with examples, injected faults, reloads, latency, threads and descriptors). Exits 1 when a request failed
unexpectedly, a reload failed, or the server died or did not stop cleanly on SIGTERM; 2 on a setup error.

Needs numpy and tritonclient (dev/python-env.sh sets up .venv) and a built `offload`
(`swift build -c release --product offload`). Reads /proc, so Linux only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

REPO_ROOT = Path(__file__).resolve().parent.parent
VARIABLE_DIM = 16  # every -1 dimension other than the batch: the same value keeps related inputs consistent
REQUEST_TIMEOUT_S = 30.0
HANG_DEADLINE_S = 0.3

# Fault models (see Sources/InferenceRuntime/Backend/FaultInjectionBackend.swift).
FAULT_MODELS = {
    # Echo with a little work, two instances, dynamic batching.
    "soak_fault_echo": 'parameters { key: "delay_us" value: { string_value: "500" } }\n'
    "instance_group [ { count: 2, kind: KIND_CPU } ]\ndynamic_batching { max_queue_delay_microseconds: 200 }\n",
    # Fails on demand (ACTION=1); one instance, no batching.
    "soak_fault_flaky": "instance_group [ { count: 1, kind: KIND_CPU } ]\n",
    # Hangs for 2 s on demand (ACTION=2); the requests' 300 ms deadline ends their wait.
    "soak_fault_hang": 'parameters { key: "hang_ms" value: { string_value: "2000" } }\n'
    "instance_group [ { count: 2, kind: KIND_CPU } ]\n",
}


def log(message: str) -> None:
    print(f"[soak {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# MARK: Server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    grpc_url: str
    http_url: str
    log_thread: threading.Thread


def onnxruntime_library(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("OFFLOAD_ONNXRUNTIME_LIBRARY"):
        return os.environ["OFFLOAD_ONNXRUNTIME_LIBRARY"]
    result = subprocess.run(
        [str(REPO_ROOT / "dev" / "python-env.sh"), "--print-ort-lib"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def write_fault_repository(root: Path) -> None:
    for name, extra in FAULT_MODELS.items():
        version = root / name / "1"
        version.mkdir(parents=True)
        (version / "model.fault").write_text("")
        (root / name / "config.pbtxt").write_text(f'backend: "fault"\nmax_batch_size: 8\n{extra}')


def start_server(args: argparse.Namespace, fault_repository: Path, server_log: Path) -> Server:
    command = [
        str(args.binary), "serve", "--host", "127.0.0.1",
        "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0",
        "--model-repository", str(args.models), "--model-repository", str(fault_repository),
        "--model-control-mode", "explicit", "--load-model", "*",
        "--enable-test-backends", "--onnxruntime-library", onnxruntime_library(args.onnxruntime_library),
    ]  # fmt: skip
    log("starting: " + " ".join(command))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    sink = server_log.open("wb")
    pattern = re.compile(rb"serving grpc=(127\.0\.0\.1:\d+) http=(127\.0\.0\.1:\d+)")
    deadline = time.monotonic() + 300
    for line in process.stderr:
        sink.write(line)
        match = pattern.search(line)
        if match:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the server did not report serving within 300 s; see {server_log}")
    else:
        sink.close()
        raise SystemExit(f"the server exited before serving (exit {process.wait()}); see {server_log}")
    sink.flush()

    def drain() -> None:
        assert process.stderr is not None
        for rest in process.stderr:
            sink.write(rest)
            sink.flush()
        sink.close()

    thread = threading.Thread(target=drain, name="server-log", daemon=True)
    thread.start()
    return Server(process, match.group(1).decode(), match.group(2).decode(), thread)


def read_proc(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (bytes), threads and open descriptors of a process."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
            elif key == "Threads":
                values["Threads"] = int(rest.strip())
    values["FDs"] = len(os.listdir(f"/proc/{pid}/fd"))
    return values


# MARK: Requests


@dataclass
class Job:
    """One kind of request: a model, and what it asks for."""

    model: str
    kind: str  # "zoo", "echo", "flaky", "hang"
    weight: float
    inputs: list[tuple[str, str, np.ndarray]] = field(default_factory=list)  # name, datatype, data


def zoo_inputs(metadata: dict[str, Any], batched: bool, rng: np.random.Generator) -> list[tuple[str, str, np.ndarray]]:
    inputs = []
    for tensor in metadata["inputs"]:
        dims = [int(d) for d in tensor["shape"]]
        shape = [1 if (batched and i == 0) else (VARIABLE_DIM if d < 0 else d) for i, d in enumerate(dims)]
        datatype = tensor["datatype"]
        dtype = triton_to_np_dtype(datatype)
        if datatype == "BOOL":
            data = np.ones(shape, dtype=np.bool_)
        elif np.issubdtype(dtype, np.floating):
            data = rng.standard_normal(shape).astype(dtype)
        else:  # integers: 0 is a valid index and category everywhere
            data = np.zeros(shape, dtype=dtype)
        inputs.append((tensor["name"], datatype, data))
    return inputs


def fault_inputs(action: int) -> list[tuple[str, str, np.ndarray]]:
    return [
        ("ACTION", "INT32", np.array([[action]], dtype=np.int32)),
        ("INPUT0", "FP32", np.arange(4, dtype=np.float32).reshape(1, 4)),
    ]


def discover_jobs(grpc_url: str, rng: np.random.Generator) -> list[Job]:
    client = grpcclient.InferenceServerClient(grpc_url)
    index = client.get_model_repository_index(as_json=True).get("models", [])
    ready = sorted(m["name"] for m in index if m.get("state") == "READY")
    missing = [name for name in FAULT_MODELS if name not in ready]
    if missing:
        raise SystemExit(f"fault models not ready: {missing}; is this build older than --enable-test-backends?")
    jobs = [
        Job("soak_fault_echo", "echo", 3.0, fault_inputs(0)),
        Job("soak_fault_flaky", "flaky", 1.0),
        Job("soak_fault_hang", "hang", 0.05, fault_inputs(2)),
    ]
    for name in ready:
        if name in FAULT_MODELS:
            continue
        metadata = client.get_model_metadata(name, as_json=True)
        config = client.get_model_config(name, as_json=True).get("config", {})
        batched = int(config.get("max_batch_size", 0)) > 0
        jobs.append(Job(name, "zoo", 3.0, zoo_inputs(metadata, batched, rng)))
    client.close()
    return jobs


# MARK: Load


@dataclass
class Tally:
    """Everything the threads count, behind one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)
    requests: Counter[str] = field(default_factory=Counter)  # "model/protocol"
    errors: Counter[str] = field(default_factory=Counter)  # "protocol status"
    error_examples: dict[str, list[str]] = field(default_factory=dict)
    injected: Counter[str] = field(default_factory=Counter)  # "fail expected/ok", "hang expected/ok"
    window_latencies: list[float] = field(default_factory=list)
    latency_reservoir: list[float] = field(default_factory=list)
    latency_seen: int = 0
    reloads: list[dict[str, Any]] = field(default_factory=list)

    def request(self, key: str) -> None:
        with self.lock:
            self.requests[key] += 1

    def error(self, kind: str, message: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            examples = self.error_examples.setdefault(kind, [])
            if len(examples) < 5:
                examples.append(message[:500])

    def latency(self, seconds: float, rng: random.Random) -> None:
        with self.lock:
            self.window_latencies.append(seconds)
            self.latency_seen += 1
            if len(self.latency_reservoir) < 200_000:
                self.latency_reservoir.append(seconds)
            else:  # reservoir sampling: every latency has the same chance to be kept
                slot = rng.randrange(self.latency_seen)
                if slot < len(self.latency_reservoir):
                    self.latency_reservoir[slot] = seconds

    def take_window(self) -> list[float]:
        with self.lock:
            window, self.window_latencies = self.window_latencies, []
            return window


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def status_of(error: Exception) -> tuple[str, str]:
    if isinstance(error, InferenceServerException):
        return str(error.status()), str(error.message())
    return type(error).__name__, str(error)


def worker(
    index: int, server: Server, jobs: list[Job], args: argparse.Namespace, tally: Tally, stop: threading.Event
) -> None:
    protocol = "grpc" if index % 2 == 0 else "http"
    rng = random.Random(index)
    if protocol == "grpc":
        client: Any = grpcclient.InferenceServerClient(server.grpc_url)
        module: Any = grpcclient
    else:
        client = httpclient.InferenceServerClient(server.http_url, network_timeout=REQUEST_TIMEOUT_S)
        module = httpclient
    # gRPC workers also inject hangs (a client deadline); HTTP has no per-request deadline in tritonclient.
    usable = [job for job in jobs if protocol == "grpc" or job.kind != "hang"]
    weights = [job.weight for job in usable]
    interval = args.concurrency / args.rate
    next_time = time.monotonic()
    while not stop.is_set():
        job = rng.choices(usable, weights)[0]
        inputs = job.inputs
        expect = "answer"
        if job.kind == "flaky":
            action = 1 if rng.random() < 0.5 else 0
            inputs = fault_inputs(action)
            expect = "fail" if action == 1 else "answer"
        elif job.kind == "hang":
            expect = "hang"
        request_inputs = []
        for name, datatype, data in inputs:
            tensor = module.InferInput(name, list(data.shape), datatype)
            if protocol == "grpc":
                tensor.set_data_from_numpy(data)
            else:
                tensor.set_data_from_numpy(data, binary_data=True)
            request_inputs.append(tensor)
        timeout: dict[str, Any] = {}
        if protocol == "grpc":
            timeout["client_timeout"] = HANG_DEADLINE_S if expect == "hang" else REQUEST_TIMEOUT_S
        tally.request(f"{job.model}/{protocol}")
        started = time.monotonic()
        try:
            result = client.infer(job.model, request_inputs, **timeout)
            elapsed = time.monotonic() - started
            if expect == "answer":
                tally.latency(elapsed, rng)
                if job.kind in ("echo", "flaky") and not np.array_equal(result.as_numpy("OUTPUT0"), inputs[1][2]):
                    tally.error(f"{protocol} WRONG_ANSWER", f"{job.model}: {result.as_numpy('OUTPUT0')}")
            else:
                tally.error(f"{protocol} NO_FAULT", f"{job.model}: expected {expect}, got an answer")
        except Exception as error:  # noqa: BLE001 - every failure is classified below
            status, message = status_of(error)
            if expect == "fail" and "failed on demand" in message and status in ("StatusCode.INTERNAL", "500"):
                with tally.lock:
                    tally.injected["fail ok"] += 1
            elif expect == "hang" and "DEADLINE_EXCEEDED" in status:
                with tally.lock:
                    tally.injected["hang ok"] += 1
            else:
                tally.error(f"{protocol} {status}", f"{job.model}: {message}")
        if expect != "answer":
            with tally.lock:
                tally.injected[f"{expect} sent"] += 1
        next_time += interval
        now = time.monotonic()
        if next_time > now:
            stop.wait(next_time - now)
        elif now - next_time > 1.0:  # far behind (a slow phase): do not try to catch up in a burst
            next_time = now
    client.close()


def reloader(server: Server, models: list[str], args: argparse.Namespace, tally: Tally, stop: threading.Event) -> None:
    client = grpcclient.InferenceServerClient(server.grpc_url)
    turn = 0
    while not stop.wait(args.reload_secs):
        name = models[turn % len(models)]
        turn += 1
        started = time.monotonic()
        record: dict[str, Any] = {"model": name, "at_s": round(started - tally.started, 1)}
        try:
            client.load_model(name, client_timeout=120)
            record["ok"] = True
        except Exception as error:  # noqa: BLE001 - recorded
            record["ok"] = False
            record["error"] = "%s: %s" % status_of(error)
        record["seconds"] = round(time.monotonic() - started, 3)
        with tally.lock:
            tally.reloads.append(record)
        log(f"reload {name}: {'ok' if record['ok'] else record['error']} in {record['seconds']} s")
    client.close()



# MARK: Report


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    denominator = sum((t - mean_t) ** 2 for t, _ in points)
    if denominator == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / denominator * 3600


def summarize(args: argparse.Namespace, samples: list[dict[str, float]], tally: Tally, exit_code: int | None,
              died: bool, started_at: str, elapsed: float) -> dict[str, Any]:
    mib = [s["rss_mib"] for s in samples]
    warm = next((s for s in samples if s["t_s"] >= args.warmup_secs), samples[-1] if samples else None)
    second_half = [(s["t_s"], s["rss_mib"]) for s in samples if s["t_s"] >= elapsed / 2]
    reloads = tally.reloads
    reload_seconds = [r["seconds"] for r in reloads]
    by_protocol: Counter[str] = Counter()
    by_model: Counter[str] = Counter()
    for key, count in tally.requests.items():
        model, protocol = key.rsplit("/", 1)
        by_model[model] += count
        by_protocol[protocol] += count
    return {
        "started_at": started_at,
        "duration_s": round(elapsed, 1),
        "binary": str(args.binary),
        "settings": {
            "rate_per_s": args.rate, "concurrency": args.concurrency, "reload_secs": args.reload_secs,
            "sample_secs": args.sample_secs, "warmup_secs": args.warmup_secs,
        },
        "server": {"exit_code": exit_code, "died_during_run": died},
        "requests": {
            "total": sum(tally.requests.values()), "by_model": dict(by_model), "by_protocol": dict(by_protocol),
        },
        "errors": {
            "total": sum(tally.errors.values()), "by_kind": dict(tally.errors), "examples": tally.error_examples,
        },
        "injected": dict(tally.injected),
        "reloads": {
            "total": len(reloads), "failed": sum(1 for r in reloads if not r["ok"]),
            "failures": [r for r in reloads if not r["ok"]],
            "mean_s": round(sum(reload_seconds) / len(reload_seconds), 3) if reload_seconds else 0,
            "max_s": max(reload_seconds, default=0),
        },
        "rss_mib": {
            "start": mib[0] if mib else 0, "after_warmup": warm["rss_mib"] if warm else 0,
            "peak": max((s["hwm_mib"] for s in samples), default=0), "end": mib[-1] if mib else 0,
            "growth_mib_per_hour_second_half": round(slope_per_hour(second_half), 2),
        },
        "threads": {"start": samples[0]["threads"], "end": samples[-1]["threads"],
                    "max": max(s["threads"] for s in samples)} if samples else {},
        "fds": {"start": samples[0]["fds"], "end": samples[-1]["fds"], "max": max(s["fds"] for s in samples)}
        if samples else {},
        "latency_ms": {
            "p50": round(percentile(tally.latency_reservoir, 50) * 1000, 2),
            "p99": round(percentile(tally.latency_reservoir, 99) * 1000, 2),
            "max_sampled": round(max(tally.latency_reservoir, default=0) * 1000, 2),
        },
    }


def markdown(summary: dict[str, Any]) -> str:
    rss, reloads, errors = summary["rss_mib"], summary["reloads"], summary["errors"]
    protocols = ", ".join(f"{name} {count}" for name, count in sorted(summary["requests"]["by_protocol"].items()))
    lines = [
        f"# Soak run {summary['started_at']}",
        "",
        f"Binary `{summary['binary']}`, {summary['duration_s']:.0f} s, "
        f"{summary['settings']['rate_per_s']} requests/s over {summary['settings']['concurrency']} workers, "
        f"a reload every {summary['settings']['reload_secs']} s.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| requests | {summary['requests']['total']} ({protocols}) |",
        f"| unexpected errors | {errors['total']} {dict(errors['by_kind']) if errors['total'] else ''} |",
        f"| injected faults (sent / ended as they should) | {json.dumps(summary['injected'], sort_keys=True)} |",
        f"| reloads (failed) | {reloads['total']} ({reloads['failed']}), mean {reloads['mean_s']} s, "
        f"max {reloads['max_s']} s |",
        f"| RSS start / after warm-up / peak / end (MiB) | {rss['start']:.1f} / {rss['after_warmup']:.1f} / "
        f"{rss['peak']:.1f} / {rss['end']:.1f} |",
        f"| RSS growth over the second half | {rss['growth_mib_per_hour_second_half']} MiB/hour |",
        f"| threads start / end / max | {summary['threads'].get('start')} / {summary['threads'].get('end')} / "
        f"{summary['threads'].get('max')} |",
        f"| open descriptors start / end / max | {summary['fds'].get('start')} / {summary['fds'].get('end')} / "
        f"{summary['fds'].get('max')} |",
        f"| latency p50 / p99 (answered requests) | {summary['latency_ms']['p50']} / "
        f"{summary['latency_ms']['p99']} ms |",
        f"| server exit after SIGTERM | {summary['server']['exit_code']} (died during the run: "
        f"{summary['server']['died_during_run']}) |",
        "",
    ]
    return "\n".join(lines)


# MARK: Main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=None, help="offload binary (default: release, else debug)")
    parser.add_argument("--models", type=Path, default=REPO_ROOT / "models", help="model repository (the zoo)")
    parser.add_argument("--onnxruntime-library", default=None, help="libonnxruntime.so (default: .venv's)")
    parser.add_argument("--duration", type=float, default=3600, help="seconds of load (default 3600)")
    parser.add_argument("--rate", type=float, default=200, help="requests per second, all workers (default 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="worker threads (default 8)")
    parser.add_argument("--reload-secs", type=float, default=60, help="seconds between model reloads (default 60)")
    parser.add_argument("--sample-secs", type=float, default=10, help="seconds between RSS samples (default 10)")
    parser.add_argument("--warmup-secs", type=float, default=60, help="'after warm-up' RSS is taken after this")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: .build/soak/<UTC time>")
    args = parser.parse_args()
    if args.binary is None:
        release = REPO_ROOT / ".build" / "release" / "offload"
        args.binary = release if release.exists() else REPO_ROOT / ".build" / "debug" / "offload"
    if not args.binary.exists():
        print(f"no offload binary at {args.binary}: swift build -c release --product offload", file=sys.stderr)
        return 2
    if args.rate <= 0 or args.concurrency < 1 or args.reload_secs <= 0 or args.sample_secs <= 0:
        print("--rate, --reload-secs and --sample-secs must be positive, --concurrency at least 1", file=sys.stderr)
        return 2
    started_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    output = args.output_dir or REPO_ROOT / ".build" / "soak" / started_at.replace(":", "")
    output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="offload-soak-") as temporary:
        fault_repository = Path(temporary)
        write_fault_repository(fault_repository)
        server = start_server(args, fault_repository, output / "server.log")
        pid = server.process.pid
        log(f"serving: gRPC {server.grpc_url}, HTTP {server.http_url}, pid {pid}; output in {output}")
        jobs = discover_jobs(server.grpc_url, np.random.default_rng(1))
        log(f"{len(jobs)} request kinds: {', '.join(job.model for job in jobs)}")

        tally = Tally()
        stop = threading.Event()
        threads = [
            threading.Thread(target=worker, args=(i, server, jobs, args, tally, stop), name=f"worker-{i}", daemon=True)
            for i in range(args.concurrency)
        ]
        reload_models = [job.model for job in jobs]
        threads.append(
            threading.Thread(target=reloader, args=(server, reload_models, args, tally, stop), name="reloader",
                             daemon=True))
        for thread in threads:
            thread.start()

        samples: list[dict[str, float]] = []
        died = False
        with (output / "samples.csv").open("w", newline="") as file:
            columns = ["t_s", "rss_mib", "hwm_mib", "threads", "fds", "requests", "errors", "injected", "reloads",
                       "window_p50_ms", "window_p99_ms"]
            writer = csv.DictWriter(file, fieldnames=columns)
            writer.writeheader()
            end = tally.started + args.duration
            while True:
                now = time.monotonic()
                if server.process.poll() is not None:
                    died = True
                    log(f"the server died (exit {server.process.returncode}); see {output / 'server.log'}")
                    break
                proc = read_proc(pid)
                window = tally.take_window()
                with tally.lock:
                    counts = (sum(tally.requests.values()), sum(tally.errors.values()),
                              sum(v for k, v in tally.injected.items() if k.endswith("sent")), len(tally.reloads))
                sample = {
                    "t_s": round(now - tally.started, 1), "rss_mib": round(proc["VmRSS"] / 2**20, 1),
                    "hwm_mib": round(proc["VmHWM"] / 2**20, 1), "threads": proc["Threads"], "fds": proc["FDs"],
                    "requests": counts[0], "errors": counts[1], "injected": counts[2], "reloads": counts[3],
                    "window_p50_ms": round(percentile(window, 50) * 1000, 2),
                    "window_p99_ms": round(percentile(window, 99) * 1000, 2),
                }
                samples.append(sample)
                writer.writerow(sample)
                file.flush()
                log(f"t={sample['t_s']:.0f}s rss={sample['rss_mib']} MiB peak={sample['hwm_mib']} MiB "
                    f"threads={sample['threads']} fds={sample['fds']} requests={counts[0]} errors={counts[1]} "
                    f"reloads={counts[3]} p99={sample['window_p99_ms']} ms")
                if now >= end:
                    break
                time.sleep(min(args.sample_secs, max(0.0, end - now)))
        stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 10)
        elapsed = time.monotonic() - tally.started

        exit_code = server.process.poll()
        if exit_code is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                exit_code = server.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.process.kill()
                exit_code = None
                log("the server did not stop within 60 s of SIGTERM; killed")
        server.log_thread.join(timeout=10)

    summary = summarize(args, samples, tally, exit_code, died, started_at, elapsed)
    (output / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (output / "summary.md").write_text(markdown(summary))
    print(markdown(summary))
    log(f"wrote {output / 'samples.csv'}, {output / 'summary.json'}, {output / 'summary.md'}")
    failed = summary["errors"]["total"] > 0 or summary["reloads"]["failed"] > 0 or died or exit_code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
