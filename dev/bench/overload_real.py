"""Overload with the zoo's real models: open-loop load at 2x, 5x and 10x the measured capacity.

Starts one `offload serve` (the binary given, on free loopback ports, the model zoo, `--max-queue-size Q`),
then for each model:
  1. capacity: `offload bench` closed loop at --capacity-concurrency requests in flight (batch 1); its
     answered inferences/s is the capacity;
  2. for each factor: `offload bench --request-rate-range factor*capacity` (open loop, constant arrivals, no
     client retries), while this script probes GET /v2/health/ready and sends one tritonclient request every
     100 ms (latency of each) and samples the server's RSS (/proc/PID/status) every 100 ms; then capacity
     again: the admitted throughput is compared with the mean of the capacities before and after the point
     (the shared machine's speed drifts by tens of percent over minutes).
Prints a Markdown table (offered load, sent, answered, rejected and how, p50/p99 of admitted requests,
admitted throughput as a share of capacity, health-probe latency p50/p99/worst, peak RSS) and writes JSON
with --json.

    .venv/bin/python dev/bench/overload_real.py --binary .build/dist/offload
        [--models lhcb_ghost_mlp,jet_tagger_qg] [--factors 2,5,10] [--max-queue-size 64]
        [--window-ms 2000] [--json OUT]

The load generator runs on the same machine as the server: at high factors it may not reach the offered
rate; the `sent` column says what it did send. On a small machine one load-generator core cannot offer 10x
what a server core answers (the server is the more efficient of the two), so --server-cpu-quota puts the
server into a CPU cgroup (v1 `cpu` or v2 `cpu.max`; needs root) with that many cores' worth of CPU time:
its capacity, measured first under the same quota, drops to what the load generator can exceed tenfold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dev"))
from free_ports import free_ports  # noqa: E402


class CPUQuota:
    """A cgroup holding the server with `cores` CPUs' worth of time per period (cgroup v1 or v2): 10 ms, or
    longer where the quota would fall under the kernel's 1 ms minimum."""

    def __init__(self, cores: float) -> None:
        name = f"offload-overload-{os.getpid()}"
        self.PERIOD_US = max(10_000, int(1000 / cores + 0.5))
        quota = max(1000, int(cores * self.PERIOD_US))
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.path = v1 / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            self.procs = self.path / "cgroup.procs"
        elif (Path("/sys/fs/cgroup") / "cgroup.controllers").exists():
            self.path = Path("/sys/fs/cgroup") / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
            self.procs = self.path / "cgroup.procs"
        else:
            raise SystemExit("--server-cpu-quota needs a cgroup cpu controller (and root)")

    def add(self, pid: int) -> None:
        self.procs.write_text(str(pid))

    def remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def probe_request(http_port: int, model: str):
    """One batch-1 tritonclient.grpc request for the model (random inputs), from its metadata."""
    import numpy as np
    import tritonclient.grpc as grpcclient

    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/{model}", timeout=5) as r:
        metadata = json.load(r)
    inputs = []
    for spec in metadata["inputs"]:
        shape = [1 if d < 0 else d for d in spec["shape"]]
        tensor = grpcclient.InferInput(spec["name"], shape, spec["datatype"])
        tensor.set_data_from_numpy(np.random.default_rng(1).normal(size=shape).astype(np.float32))
        inputs.append(tensor)
    return inputs


class Watcher:
    """Health probes, one tritonclient request and an RSS sample every 100 ms while a load runs."""

    def __init__(self, http_port: int, pid: int, grpc_port: int, model: str) -> None:
        import tritonclient.grpc as grpcclient

        self.http_port, self.pid = http_port, pid
        self.client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        self.model, self.inputs = model, probe_request(http_port, model)
        self.rejections: list[float] = []
        self.rejection_message = ""
        self.stop = threading.Event()
        self.probe_ms: list[float] = []
        self.probe_failures = 0
        self.rss: list[int] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/v2/health/ready", timeout=2) as r:
                    ok = r.status == 200
            except OSError:
                ok = False
            self.probe_ms.append((time.monotonic() - start) * 1000)
            if not ok:
                self.probe_failures += 1
            self.rss.append(rss_kib(self.pid))
            sent = time.monotonic()
            try:
                self.client.infer(self.model, self.inputs)
            except Exception as error:  # noqa: BLE001 - a rejection is what is measured
                self.rejections.append((time.monotonic() - sent) * 1000)
                self.rejection_message = str(error)
            self.stop.wait(max(0.0, 0.1 - (time.monotonic() - start)))

    def __enter__(self) -> "Watcher":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


def shapes(model: str, batch: int) -> list[str]:
    """Full shapes (batch first) for inputs with variable dimensions: jets of 64 constituents."""
    if model == "jet_tagger_qg":
        return ["--shape", f"pf_features:{batch},7,64", "--shape", f"pf_mask:{batch},1,64"]
    return []


def bench(binary: Path, grpc_port: int, model: str, batch: int, load: list[str], window_ms: int, pid: int,
          pin: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = [*pin, str(binary), "bench", "-u", f"127.0.0.1:{grpc_port}", "-m", model, "--attempts", "1",
                   "--timeout-ms", "0", "-p", str(window_ms), "--warmup-ms", "1000", "-r", "4",
                   "--stability-percentage", "1000", "--stability-windows", "2", "--server-pid", str(pid),
                   "-b", str(batch), "-f", out, *shapes(model, batch), *load]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"offload bench failed: {' '.join(command)}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        report = json.loads((Path(out) / "report.json").read_text())
    return report["points"][-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--models", default="lhcb_ghost_mlp:1,jet_tagger_qg:1",
                        help="MODEL:BATCH,...: models and rows per request")
    parser.add_argument("--factors", default="2,5,10")
    parser.add_argument("--max-queue-size", type=int, default=64)
    parser.add_argument("--capacity-concurrency", type=int, default=16)
    parser.add_argument("--window-ms", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--server-cpu-quota", type=float, default=0.0,
                        help="CPU cores' worth of time the server may use (cgroup; 0: no limit), e.g. 0.15")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="a further `offload serve` argument (repeat), e.g. --serve-arg=--grpc-max-concurrent-streams=128")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the server to CPU 0 and the load generator to CPU 1 (taskset)")
    args = parser.parse_args()
    # Pinned, the load generator cannot take the server's core: what is measured is the server's behaviour.
    pin_server = [] if args.no_pin or os.cpu_count() < 2 else ["taskset", "-c", "0"]
    pin_client = [] if not pin_server else ["taskset", "-c", "1"]
    if pin_server:
        # The probes run beside the server (whose quota leaves its core mostly idle), not behind the load.
        os.sched_setaffinity(0, {0})

    grpc_port, http_port, metrics_port = free_ports(3)
    quota = CPUQuota(args.server_cpu_quota) if args.server_cpu_quota > 0 else None
    log = tempfile.NamedTemporaryFile(prefix="offload-overload-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [*pin_server, str(args.binary), "serve", "--host", "127.0.0.1", "--grpc-port", str(grpc_port), "--http-port",
         str(http_port), "--metrics-port", str(metrics_port), "--model-repository", str(REPO / "models"),
         "--max-queue-size", str(args.max_queue_size), *args.serve_arg],
        stdout=log, stderr=subprocess.STDOUT)
    if quota:
        quota.add(server.pid)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/health/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not become ready; log: {log.name}")
            time.sleep(0.2)
        idle_rss = rss_kib(server.pid)
        rows = []
        for entry in args.models.split(","):
            model, _, batch_text = entry.partition(":")
            batch = int(batch_text or "1")
            def measure_capacity() -> float:
                point = bench(args.binary, grpc_port, model, batch, ["--concurrency-range", str(args.capacity_concurrency)],
                              args.window_ms, server.pid, pin_client)
                print(f"{model} (batch {batch}): capacity {point['requests_per_second']:.0f} requests/s at "
                      f"{args.capacity_concurrency} in flight (p99 {point['latency_us']['p99']:.0f} us, server CPU "
                      f"{point.get('server_cpu_us_per_request') or 0:.0f} us/request, "
                      f"{point['server'].get('inference_count', 0) / max(point['server'].get('execution_count', 1), 1):.1f} "
                      f"requests/execution)", flush=True)
                return point["requests_per_second"]

            # The machine is shared and its speed drifts: capacity is measured before and after each overload point,
            # and the admitted throughput compared with their mean.
            first_capacity = measure_capacity()
            capacity_before = first_capacity
            for factor in (float(f) for f in args.factors.split(",")):
                rate = round(first_capacity * factor)
                with Watcher(http_port, server.pid, grpc_port, model) as watch:
                    point = bench(args.binary, grpc_port, model, batch, ["--request-rate-range", str(rate)], args.window_ms,
                                  server.pid, pin_client)
                capacity_after = measure_capacity()
                capacity = (capacity_before + capacity_after) / 2
                capacity_before = capacity_after
                errors = point.get("errors", {})
                answered = point["requests"]
                # Arrivals the load generator could not even send (over 4096 in flight) never reached the server.
                dropped = errors.get("DROPPED_CLIENT_BACKLOG", 0)
                failed = sum(errors.values()) - dropped
                windows_s = point["windows"] * args.window_ms / 1000
                row = {
                    "model": model, "batch": batch, "factor": factor, "offered_per_s": rate,
                    "not_sent_per_s": round(dropped / windows_s),
                    "sent_per_s": round((answered + failed) / windows_s),
                    "answered_per_s": round(point["requests_per_second"]),
                    "rejected_per_s": round(errors.get("UNAVAILABLE", 0) / windows_s),
                    "errors": errors,
                    "admitted_p50_us": point["latency_us"]["p50"], "admitted_p99_us": point["latency_us"]["p99"],
                    "admitted_share_of_capacity": round(point["requests_per_second"] / capacity, 3),
                    "health_probe_max_ms": round(max(watch.probe_ms), 1) if watch.probe_ms else None,
                    "health_probe_p50_ms": round(percentile(watch.probe_ms, 50), 1) if watch.probe_ms else None,
                    "health_probe_p99_ms": round(percentile(watch.probe_ms, 99), 1) if watch.probe_ms else None,
                    "health_probes_over_100ms": sum(1 for ms in watch.probe_ms if ms > 100),
                    "health_probes": len(watch.probe_ms),
                    "health_probe_failures": watch.probe_failures,
                    "peak_rss_mib": round(max(watch.rss) / 1024, 1) if watch.rss else None,
                    "probe_rejections": len(watch.rejections),
                    "probe_rejection_max_ms": round(max(watch.rejections), 2) if watch.rejections else None,
                    "rejection_message": watch.rejection_message,
                    "server_cpu_us_per_answer": point.get("server_cpu_us_per_request"),
                    "requests_per_execution": round(point["server"].get("inference_count", 0)
                                                    / max(point["server"].get("execution_count", 1), 1), 1),
                    "capacity_per_s": round(capacity), "offered_from_capacity_per_s": round(first_capacity),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
        print()
        print(f"Server idle RSS {idle_rss / 1024:.1f} MiB; --max-queue-size {args.max_queue_size}; "
              f"binary {args.binary}; pinned: {'server CPU 0, load CPU 1' if pin_server else 'no'}; "
              f"server CPU quota: {args.server_cpu_quota or 'none'} cores; serve arguments: {args.serve_arg}")
        print("| model (batch) | offered (× capacity) | sent /s | answered /s | rejected /s (UNAVAILABLE) | other errors | "
              "admitted p50 / p99 ms | admitted / capacity (capacity /s) | health probe p50 / p99 / worst ms (over 100 ms) | "
              "slowest probe rejection ms | "
              "peak RSS MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            other = {k: v for k, v in r["errors"].items() if k not in ("UNAVAILABLE", "DROPPED_CLIENT_BACKLOG")}
            print(f"| {r['model']} ({r['batch']}) | {r['offered_per_s']:,} ({r['factor']:g}× {r['offered_from_capacity_per_s']:,}) | "
                  f"{r['sent_per_s']:,} | {r['answered_per_s']:,} | {r['rejected_per_s']:,} | {other or 0} | "
                  f"{r['admitted_p50_us'] / 1000:,.0f} / {r['admitted_p99_us'] / 1000:,.0f} | "
                  f"{r['admitted_share_of_capacity']:.2f} ({r['capacity_per_s']:,}) | "
                  f"{r['health_probe_p50_ms']} / {r['health_probe_p99_ms']} / {r['health_probe_max_ms']} "
                  f"({r['health_probes_over_100ms']} of {r['health_probes']}; {r['health_probe_failures']} failed) | "
                  f"{r['probe_rejection_max_ms']} ({r['probe_rejections']} of the probes) | {r['peak_rss_mib']} |")
        messages = {r["rejection_message"] for r in rows if r["rejection_message"]}
        for message in sorted(messages):
            print(f"rejection seen by tritonclient: {message}")
        if args.json:
            args.json.write_text(json.dumps({"idle_rss_mib": round(idle_rss / 1024, 1), "rows": rows}, indent=2) + "\n")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        pass  # os.unlink(log.name)
        if quota:
            quota.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
