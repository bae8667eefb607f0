"""What `dev/gateway.sh start` leaves in its state directory, and a replica's own request count.

Used by dev/gateway-chaos.py and dev/bench/gateway_cost.py.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path


def read_env(state: Path) -> dict[str, str]:
    """gateway.env: KEY=VALUE lines (GATEWAY_GRPC_PORT, GATEWAY_HTTP_PORT, HAPROXY_PID, ...)."""
    return dict(line.split("=", 1) for line in (state / "gateway.env").read_text().splitlines() if "=" in line)


def read_replicas(state: Path) -> list[dict[str, int]]:
    """replicas.tsv: one dict per replica with index, pid, grpc, http and metrics ports."""
    rows = []
    for line in (state / "replicas.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        index, pid, grpc_port, http_port, metrics_port = (int(v) for v in line.split("\t")[:5])
        rows.append({"index": index, "pid": pid, "grpc": grpc_port, "http": http_port, "metrics": metrics_port})
    return rows


def success_count(http_port: int, model: str) -> int | None:
    """The model's successful request count on one replica (its statistics), or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/{model}/stats", timeout=5) as r:
            stats = json.load(r)
    except OSError:
        return None
    return sum(int(s["inference_stats"]["success"]["count"]) for s in stats.get("model_stats", []))
