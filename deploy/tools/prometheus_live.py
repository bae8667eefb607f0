"""The real Prometheus against a live `offload serve` under load (docs/deploy.md, "Prometheus, live").

Starts the server on loopback, Debian's `prometheus` with a 1 s scrape interval and the target labels a
Kubernetes pod of the Helm chart carries (job, namespace, pod, release), and NVIDIA's perf_analyzer as the
load. While the load runs it asks Prometheus's HTTP API for SuperSONIC's scaling expression, every query
of the shipped Grafana dashboard (panels and template variables) and every KEDA trigger of the rendered
chart, and checks that each answers a non-empty vector of finite numbers carrying the labels the query
groups by. Any failed query fails the run (exit status 1) with the query, the answer and what was wrong.

Usage (dev/check-prometheus.sh passes these):
  prometheus_live.py --offload BIN --prometheus BIN --perf-analyzer BIN --models DIR
                     --dashboard JSON --rendered-chart YAML --work DIR
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dev"))
from free_ports import free_ports  # noqa: E402
from manifest_checks import dashboard_queries, documents  # noqa: E402

# SuperSONIC's autoscaling and admission expression for Triton (KEDA ScaledObject and Envoy's Lua filter).
SUPERSONIC_SCALING = (
    "sum by (release)(rate(nv_inference_queue_duration_us[30s])) / "
    "sum by (release)((rate(nv_inference_exec_count[30s]) * 1000) + 0.001)"
)

# The labels Prometheus's Kubernetes discovery gives a pod of the chart's "everything" scenario
# (release "sonic" in namespace "hep"; manifest_checks.SCENARIOS), so the rendered KEDA query matches.
TARGET_LABELS = {
    "namespace": "hep",
    "pod": "sonic-offload-6d5f8b9c7d-x2k9q",
    "release": "sonic",
}
JOB = "offload"
MODEL = "lhcb_ghost_mlp"

# Grafana's built-in and template variables, as Grafana would expand them for this job with "All" models.
GRAFANA = {
    "$__rate_interval": "10s",
    "$__interval": "1s",
    "$__range": "5m",
    "$job": JOB,
    "${job}": JOB,
    "$model": ".+",
    "${model}": ".+",
}


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def wait_for(what: str, probe, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"prometheus-live: {what} did not come up within {seconds:.0f} s")


def query(base: str, expr: str) -> dict[str, Any]:
    return json.loads(get(f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"))


def grouped_labels(expr: str) -> set[str]:
    """The labels an expression keeps: those of its outermost `by (...)` clauses."""
    labels: set[str] = set()
    for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        labels.update(name.strip() for name in group.split(",") if name.strip())
    return labels


def check(base: str, where: str, expr: str, expected: set[str]) -> list[str]:
    answer = query(base, expr)
    if answer.get("status") != "success":
        return [f"{where}: Prometheus refused it: {answer.get('error')}\n    {expr}"]
    result = answer["data"]["result"]
    if not result:
        return [f"{where}: empty result\n    {expr}"]
    problems = []
    for sample in result:
        value = float(sample["value"][1])
        if not math.isfinite(value):
            problems.append(f"{where}: non-finite value {value} for {sample['metric']}\n    {expr}")
        missing = expected - set(sample["metric"])
        if missing:
            problems.append(f"{where}: labels {sorted(missing)} missing in {sample['metric']}\n    {expr}")
    return problems


def grafana_expand(expr: str) -> str:
    for variable in sorted(GRAFANA, key=len, reverse=True):
        expr = expr.replace(variable, GRAFANA[variable])
    return expr


def queries(dashboard: Path, rendered: Path) -> list[tuple[str, str, set[str]]]:
    found: list[tuple[str, str, set[str]]] = [("SuperSONIC scaling expression", SUPERSONIC_SCALING, {"release"})]
    for where, expr in dashboard_queries(dashboard):
        promql = grafana_expand(expr)
        # An aggregation without `by` (e.g. count(...)) keeps no labels; a bare selector keeps job.
        aggregated = re.match(r"\s*(sum|count|avg|min|max)\s*\(", promql) is not None
        expected = grouped_labels(promql) or ({"job"} if "job=" in promql and not aggregated else set())
        found.append((f"dashboard {where}", promql, expected))
    triggers = 0
    for _, doc in documents([str(rendered)]):
        if doc.get("kind") != "ScaledObject":
            continue
        for trigger in doc["spec"]["triggers"]:
            if trigger["type"] != "prometheus":
                continue
            triggers += 1
            expr = trigger["metadata"]["query"]
            found.append((f"KEDA {doc['metadata']['name']}", expr, set()))
            # `or vector(0)` answers even when the selector matches nothing: the left side must match too.
            left = re.sub(r"\s+or\s+vector\(0\)\s*$", "", expr)
            if left != expr:
                found.append((f"KEDA {doc['metadata']['name']} without its `or vector(0)`", left, set()))
    if triggers == 0:
        sys.exit(f"prometheus-live: no KEDA prometheus trigger in {rendered}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("offload", "prometheus", "perf-analyzer", "models", "dashboard", "rendered-chart", "work"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    checks = queries(Path(args.dashboard), Path(args.rendered_chart))

    http, grpc, metrics, web = free_ports(4)
    processes: list[subprocess.Popen] = []
    try:
        server_log = open(work / "offload.log", "w")
        processes.append(subprocess.Popen(
            [args.offload, "serve", "--model-repository", args.models, "--host", "127.0.0.1",
             "--http-port", str(http), "--grpc-port", str(grpc), "--metrics-port", str(metrics)],
            stdout=server_log, stderr=subprocess.STDOUT))
        wait_for("offload serve", lambda: get(f"http://127.0.0.1:{http}/v2/health/ready") is not None, 60)

        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{
                "job_name": JOB,
                "static_configs": [{"targets": [f"127.0.0.1:{metrics}"], "labels": TARGET_LABELS}],
            }],
        }
        (work / "prometheus.yml").write_text(json.dumps(config, indent=2))  # JSON is valid YAML
        prometheus_log = open(work / "prometheus.log", "w")
        processes.append(subprocess.Popen(
            [args.prometheus, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{web}"],
            stdout=prometheus_log, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{web}"
        wait_for("prometheus", lambda: b"Ready" in get(f"{base}/-/ready"), 60)

        load_log = open(work / "perf_analyzer.log", "w")
        processes.append(subprocess.Popen(
            [args.perf_analyzer, "-m", MODEL, "-u", f"127.0.0.1:{grpc}", "-i", "grpc", "--concurrency-range", "4",
             "--measurement-interval", "4000", "-s", "0.001", "--max-trials", "30"],
            stdout=load_log, stderr=subprocess.STDOUT))
        # A stability threshold no run meets keeps perf_analyzer loading until it is stopped (30 windows at most).
        # Some 15 scrapes of the loaded server, so that 10 s and 30 s rates have their samples.
        wait_for("the scrape", lambda: query(base, f'up{{job="{JOB}"}}')["data"]["result"], 30)
        time.sleep(15)
        if processes[-1].poll() is not None:
            sys.exit(f"prometheus-live: perf_analyzer stopped early: {(work / 'perf_analyzer.log').read_text()[-2000:]}")

        problems: list[str] = []
        for where, expr, expected in checks:
            found = check(base, where, expr, expected)
            problems += found
            print(f"  {'FAIL' if found else 'ok  '} {where}")
        served = query(base, f'sum(rate(nv_inference_request_success{{model="{MODEL}"}}[10s]))')["data"]["result"]
        rate = float(served[0]["value"][1]) if served else 0.0
        print(f"  load seen by Prometheus: {rate:.0f} successful {MODEL} requests/s")
        if rate <= 0:
            problems.append("Prometheus saw no successful requests under load")
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if problems:
            sys.exit(f"prometheus-live: {len(problems)} problem(s) in {len(checks)} queries")
        print(f"prometheus-live: {len(checks)} queries answered with finite, labelled results")
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
