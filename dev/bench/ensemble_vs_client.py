"""An ensemble against the client calling its steps itself, same server, same run (dev/bench/ensemble.sh).

The zoo's lhcb_ghost_filter (lhcb_ghost_mlp, then lhcb_ghost_selection on its ghost_prob) is asked for
ghost_prob and is_ghost in one request ("ensemble"), and the same answer is built by the client with two
requests, the second carrying the first's ghost_prob ("client"). For each batch size and concurrency the two
modes alternate in rounds; each round reports pipelines per second, the p50/p99 latency of a whole pipeline
and the server's CPU time per pipeline (utime + stime of the server process over the round).

    python dev/bench/ensemble_vs_client.py --url 127.0.0.1:8001 --pid PID [--batches 1,128] [--concurrency 1,8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import tritonclient.grpc as grpcclient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for `zoo`

from zoo.models import lhcb_ghost_filter  # noqa: E402
from zoo.toysim import lhcb_tracks  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def infer_input(name: str, array: np.ndarray) -> grpcclient.InferInput:
    inp = grpcclient.InferInput(name, list(array.shape), grpcclient.np_to_triton_dtype(array.dtype))
    inp.set_data_from_numpy(array)
    return inp


def pipeline(client: grpcclient.InferenceServerClient, mode: str, features: np.ndarray):
    wanted = [grpcclient.InferRequestedOutput(n) for n in ("ghost_prob", "is_ghost")]
    if mode == "ensemble":
        result = client.infer(lhcb_ghost_filter.NAME, [infer_input("features", features)], outputs=wanted)
        return result.as_numpy("ghost_prob"), result.as_numpy("is_ghost")
    first = client.infer(lhcb_ghost_filter.CLASSIFIER, [infer_input("features", features)])
    prob = first.as_numpy("ghost_prob")
    second = client.infer(lhcb_ghost_filter.SELECTION, [infer_input("ghost_prob", prob)])
    return prob, second.as_numpy("is_ghost")


def run_round(url: str, pid: int, mode: str, features: np.ndarray, concurrency: int, seconds: float) -> dict:
    clients = [grpcclient.InferenceServerClient(url=url) for _ in range(concurrency)]
    for client in clients:  # warm the connections
        pipeline(client, mode, features)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    stop = threading.Event()

    def worker(index: int) -> None:
        client, mine = clients[index], latencies[index]
        while not stop.is_set():
            start = time.perf_counter()
            pipeline(client, mode, features)
            mine.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
    for client in clients:
        client.close()
    flat = sorted(x for per in latencies for x in per)
    n = len(flat)
    return {
        "rate": n / wall,
        "p50_us": flat[n // 2] * 1e6,
        "p99_us": flat[min(n - 1, int(n * 0.99))] * 1e6,
        "server_cpu_us": cpu * 1e6 / max(n, 1),
        "n": n,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id (for its CPU time)")
    parser.add_argument("--batches", default="1,128")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    x, _ = lhcb_tracks.generate(4096, lhcb_tracks.HELDOUT_SEED)

    # The two modes must agree before they are timed.
    with grpcclient.InferenceServerClient(url=args.url) as client:
        a, b = pipeline(client, "ensemble", x[:128]), pipeline(client, "client", x[:128])
        assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes(), "the modes disagree"

    print("| batch | concurrency | mode | pipelines/s | p50 µs | p99 µs | server CPU µs / pipeline |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    summary = []
    for batch in (int(v) for v in args.batches.split(",")):
        for concurrency in (int(v) for v in args.concurrency.split(",")):
            rows: dict[str, list[dict]] = {"ensemble": [], "client": []}
            for _ in range(args.rounds):
                for mode in ("client", "ensemble"):
                    rows[mode].append(run_round(args.url, args.pid, mode, x[:batch], concurrency, args.seconds))
            med = {m: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for m, rs in rows.items()}
            for mode in ("client", "ensemble"):
                m = med[mode]
                print(
                    f"| {batch} | {concurrency} | {mode} | {m['rate']:.0f} | {m['p50_us']:.0f} | {m['p99_us']:.0f} | "
                    f"{m['server_cpu_us']:.0f} |",
                    flush=True,
                )
            e, c = med["ensemble"], med["client"]
            summary.append(
                f"batch {batch}, c{concurrency}: ensemble/client throughput {e['rate'] / c['rate']:.2f}x, "
                f"p50 {e['p50_us'] / c['p50_us']:.2f}x, server CPU {e['server_cpu_us'] / c['server_cpu_us']:.2f}x"
            )
    print()
    print(f"(medians of {args.rounds} alternating rounds of {args.seconds:g} s per mode)")
    for line in summary:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
