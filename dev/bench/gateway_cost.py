"""What the gateway costs: perf_analyzer straight to a replica and through the HAProxy gateway, same run.

Needs a running `dev/gateway.sh start --replicas 1 ...` (one replica, so that both paths reach the same
server). For each protocol and batch size it alternates direct and gateway runs (`--rounds` times each),
and reports perf_analyzer's throughput and client-side p50/p99 latency, with the CPU time the replica
and HAProxy spent per request (from /proc, over each run).

    .venv/bin/python dev/bench/gateway_cost.py --state-dir DIR [--model lhcb_ghost_mlp]
        [--batches 1,1024] [--protocols grpc,http] [--rounds 2] [--interval-ms 3000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dev"))
from gateway_state import read_env, read_replicas, success_count  # noqa: E402
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def requests_served(http_port: int, model: str) -> int:
    count = success_count(http_port, model)
    if count is None:
        raise SystemExit(f"the replica on HTTP port {http_port} does not answer its statistics")
    return count


def run(perf: Path, model: str, url: str, protocol: str, batch: int, interval_ms: int, pids: dict[str, int],
        http_port: int):
    served = requests_served(http_port, model)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    out = subprocess.run(
        [str(perf), "-m", model, "-x", "1", "-u", url, "-i", protocol, "-b", str(batch), "--concurrency-range", "1",
         "--measurement-interval", str(interval_ms), "--percentile", "99", "-s", "25", "-r", "6"],
        capture_output=True, text=True, check=False)
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    requests = max(1, requests_served(http_port, model) - served)
    text = out.stdout + out.stderr
    if out.returncode != 0 or "Throughput:" not in text:
        raise SystemExit(f"perf_analyzer failed ({url}, {protocol}, batch {batch}):\n{text[-2000:]}")
    # The last measurement block of the client section.
    throughput = float(re.findall(r"Throughput: ([0-9.e+]+) infer/sec", text)[-1])
    p50 = int(re.findall(r"p50 latency: ([0-9]+) usec", text)[-1])
    p99 = int(re.findall(r"p99 latency: ([0-9]+) usec", text)[-1])
    # CPU over the whole perf_analyzer run, per request the replica served in it (its statistics).
    cpu = {name: (after[name] - before[name]) * 1e6 / requests for name in pids}
    return {"throughput": throughput, "p50_us": p50, "p99_us": p99, "cpu_us_per_request": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--model", default="lhcb_ghost_mlp")
    parser.add_argument("--batches", default="1,1024")
    parser.add_argument("--protocols", default="grpc,http")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--interval-ms", type=int, default=3000)
    parser.add_argument("--perf-analyzer", type=Path, default=REPO / ".venv" / "bin" / "perf_analyzer")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    state = args.state_dir.resolve()
    env = read_env(state)
    replicas = read_replicas(state)
    if len(replicas) != 1:
        raise SystemExit("start the gateway with --replicas 1: both paths must reach the same replica")
    grpc_port, http_port = replicas[0]["grpc"], replicas[0]["http"]
    pids = {"replica": replicas[0]["pid"], "haproxy": int(env["HAPROXY_PID"])}
    listen = env.get("GATEWAY_LISTEN", "127.0.0.1")
    targets = {
        "direct": {"grpc": f"127.0.0.1:{grpc_port}", "http": f"127.0.0.1:{http_port}"},
        "gateway": {"grpc": f"{listen}:{env['GATEWAY_GRPC_PORT']}", "http": f"{listen}:{env['GATEWAY_HTTP_PORT']}"},
    }
    results = []
    for protocol in args.protocols.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            runs: dict[str, list[dict]] = {"direct": [], "gateway": []}
            for _ in range(args.rounds):
                for path in ("direct", "gateway"):
                    runs[path].append(run(args.perf_analyzer, args.model, targets[path][protocol], protocol, batch,
                                          args.interval_ms, pids, http_port))
            row = {"protocol": protocol, "batch": batch}
            for path, samples in runs.items():
                row[path] = {
                    "infer_per_s": round(statistics.median(s["throughput"] for s in samples)),
                    "p50_us": statistics.median(s["p50_us"] for s in samples),
                    "p99_us": statistics.median(s["p99_us"] for s in samples),
                    "replica_cpu_us": round(statistics.median(s["cpu_us_per_request"]["replica"] for s in samples), 1),
                    "gateway_cpu_us": round(statistics.median(s["cpu_us_per_request"]["haproxy"] for s in samples), 1),
                }
            results.append(row)
            d, g = row["direct"], row["gateway"]
            print(f"{protocol:4} batch {batch:5}: direct {d['infer_per_s']:>8} infer/s p50 {d['p50_us']:>7} us "
                  f"p99 {d['p99_us']:>7} us | gateway {g['infer_per_s']:>8} infer/s p50 {g['p50_us']:>7} us "
                  f"p99 {g['p99_us']:>7} us | p50 +{g['p50_us'] - d['p50_us']} us "
                  f"({g['p50_us'] / d['p50_us']:.2f}x) | CPU us/request: replica {d['replica_cpu_us']} direct, "
                  f"{g['replica_cpu_us']} via gateway; HAProxy {g['gateway_cpu_us']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
