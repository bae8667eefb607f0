#!/usr/bin/env python3
"""Closed-loop gRPC load from the official Python Triton client (tritonclient.grpc).

Usage:
    .venv/bin/python dev/bench/tritonclient_load.py --url HOST:PORT --model M \\
        --input NAME --width W --batch B --concurrency-range START:END:STEP \\
        --seconds S [--json OUT]

For each concurrency C in START..END (END included, step STEP), C threads each
open their own InferenceServerClient and send back-to-back synchronous infer
requests carrying one FP32 input NAME of shape [B, W] (random values, fixed per
thread). After a 0.5 s warm-up, a measurement window of S seconds begins: the
requests that complete inside it are counted, their latencies give p50/p99, and
this process's CPU time over the window (getrusage RUSAGE_SELF, user + system,
all threads) divided by those requests gives the client CPU cost per request.

Prints a Markdown table; --json OUT also writes the numbers as JSON. Exits 1
when the server cannot be reached or every request of a step failed.

This is the reference point for "what a stock Python Triton client costs", next
to `offload bench` (which measures with Offload's own Swift client). The Python
client is GIL-bound, so its throughput plateaus with concurrency well before a
native client's does; that is part of what it shows.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

try:
    import tritonclient
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(f"tritonclient_load: error: tritonclient[grpc] is not importable ({exc}); "
             "run dev/python-env.sh and use .venv/bin/python")

WARMUP_S = 0.5


@dataclass
class StepResult:
    concurrency: int
    requests: int                       # successful requests completed in the window
    errors: int                         # failed requests completed in the window
    window_s: float
    inferences_per_second: float
    requests_per_second: float
    p50_us: float | None
    p99_us: float | None
    mean_us: float | None
    client_cpu_us_per_request: float | None
    error_samples: list[str] = field(default_factory=list)


def parse_range(text: str) -> list[int]:
    parts = text.split(":")
    if len(parts) not in (1, 2, 3):
        raise argparse.ArgumentTypeError(f"expected START[:END[:STEP]], got '{text}'")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers in START:END:STEP, got '{text}'") from None
    start = values[0]
    end = values[1] if len(values) > 1 else start
    step = values[2] if len(values) > 2 else 1
    if start < 1 or end < start or step < 1:
        raise argparse.ArgumentTypeError(
            f"need 1 <= START <= END and STEP >= 1, got '{text}'")
    return list(range(start, end + 1, step))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def check_server(url: str, model: str) -> None:
    client = grpcclient.InferenceServerClient(url=url)
    try:
        if not client.is_server_live():
            raise SystemExit(f"tritonclient_load: error: server at {url} is not live")
        if not client.is_model_ready(model):
            raise SystemExit(f"tritonclient_load: error: model '{model}' is not ready on {url}")
    except InferenceServerException as exc:
        raise SystemExit(f"tritonclient_load: error: cannot reach {url}: {exc}") from None
    finally:
        client.close()


class Worker(threading.Thread):
    """One closed-loop sender with its own client and connection."""

    def __init__(self, index: int, args: argparse.Namespace, start_barrier: threading.Barrier,
                 window: list[float]):
        super().__init__(name=f"load-{index}", daemon=True)
        self.args = args
        self.start_barrier = start_barrier
        self.window = window            # [t_start, t_end], set by the coordinator before release
        self.latencies_ns: list[int] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.setup_error: str | None = None
        rng = np.random.default_rng(index)
        self.data = rng.standard_normal((args.batch, args.width), dtype=np.float32)

    def run(self) -> None:
        client = None
        try:
            client = grpcclient.InferenceServerClient(url=self.args.url)
            infer_input = grpcclient.InferInput(self.args.input, [self.args.batch, self.args.width], "FP32")
            infer_input.set_data_from_numpy(self.data)
            inputs = [infer_input]
        except Exception as exc:  # noqa: BLE001 - reported by the coordinator
            self.setup_error = f"{type(exc).__name__}: {exc}"
        try:
            self.start_barrier.wait()
        except threading.BrokenBarrierError:
            self.setup_error = self.setup_error or "start barrier broken"
        if self.setup_error is not None:
            if client is not None:
                client.close()
            return
        try:
            t_start_ns = int(self.window[0] * 1e9)
            t_end_ns = int(self.window[1] * 1e9)
            model = self.args.model
            latencies = self.latencies_ns
            while True:
                begin = time.perf_counter_ns()
                if begin >= t_end_ns:
                    break
                failed = None
                try:
                    client.infer(model, inputs)
                except InferenceServerException as exc:
                    failed = str(exc)
                end = time.perf_counter_ns()
                # Count what completes inside [t_start, t_end).
                if t_start_ns <= end < t_end_ns:
                    if failed is None:
                        latencies.append(end - begin)
                    else:
                        self.errors += 1
                        if len(self.error_samples) < 3:
                            self.error_samples.append(failed)
        finally:
            client.close()


def run_step(args: argparse.Namespace, concurrency: int) -> StepResult:
    window = [0.0, 0.0]
    barrier = threading.Barrier(concurrency + 1)
    workers = [Worker(i, args, barrier, window) for i in range(concurrency)]
    for w in workers:
        w.start()
    # Fix the schedule just before releasing the workers.
    now = time.perf_counter()
    window[0] = now + WARMUP_S
    window[1] = window[0] + args.seconds
    barrier.wait()

    setup_errors = [w.setup_error for w in workers if w.setup_error]
    if setup_errors:
        for w in workers:
            w.join()
        raise SystemExit(f"tritonclient_load: error: client setup failed: {setup_errors[0]}")

    time.sleep(max(0.0, window[0] - time.perf_counter()))
    cpu0 = cpu_seconds()
    time.sleep(max(0.0, window[1] - time.perf_counter()))
    cpu1 = cpu_seconds()
    for w in workers:
        w.join()

    latencies_us = np.array([ns for w in workers for ns in w.latencies_ns], dtype=np.float64) / 1e3
    requests = int(latencies_us.size)
    errors = sum(w.errors for w in workers)
    samples = [s for w in workers for s in w.error_samples][:3]
    window_s = args.seconds
    completed = requests + errors
    # The CPU sample brackets the window to within the timer slack of sleep().
    cpu_us = (cpu1 - cpu0) * 1e6
    return StepResult(
        concurrency=concurrency,
        requests=requests,
        errors=errors,
        window_s=window_s,
        inferences_per_second=requests * args.batch / window_s,
        requests_per_second=requests / window_s,
        p50_us=float(np.percentile(latencies_us, 50)) if requests else None,
        p99_us=float(np.percentile(latencies_us, 99)) if requests else None,
        mean_us=float(latencies_us.mean()) if requests else None,
        client_cpu_us_per_request=(cpu_us / completed) if completed else None,
        error_samples=samples,
    )


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown_table(results: list[StepResult]) -> str:
    lines = ["| concurrency | infer/s | p50 µs | p99 µs | client CPU µs/req |",
             "|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.concurrency} | {fmt(r.inferences_per_second, 1)} | {fmt(r.p50_us, 1)} | "
                     f"{fmt(r.p99_us, 1)} | {fmt(r.client_cpu_us_per_request, 1)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Closed-loop gRPC load with the official Python tritonclient.",
        epilog="END of --concurrency-range is included, like perf_analyzer's.")
    parser.add_argument("--url", required=True, help="gRPC endpoint, HOST:PORT")
    parser.add_argument("--model", required=True, help="model name")
    parser.add_argument("--input", required=True, help="name of the (single) FP32 input")
    parser.add_argument("--width", required=True, type=positive_int, help="input features per row")
    parser.add_argument("--batch", required=True, type=positive_int, help="rows per request")
    parser.add_argument("--concurrency-range", required=True, type=parse_range,
                        metavar="START:END:STEP", help="concurrencies to run, END included")
    parser.add_argument("--seconds", required=True, type=positive_float,
                        help="measurement window per concurrency, after a 0.5 s warm-up")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args()

    check_server(args.url, args.model)

    results = []
    for c in args.concurrency_range:
        result = run_step(args, c)
        results.append(result)
        if result.errors:
            print(f"tritonclient_load: concurrency {c}: {result.errors} failed requests, e.g. "
                  f"{result.error_samples[0]}", file=sys.stderr)
        if result.requests == 0:
            print(markdown_table(results))
            print(f"tritonclient_load: error: no request succeeded at concurrency {c}", file=sys.stderr)
            return 1

    print(markdown_table(results))

    if args.json:
        doc = {
            "tool": "tritonclient_load",
            "tritonclient_version": getattr(tritonclient, "__version__", None) or _dist_version(),
            "python": platform.python_version(),
            "url": args.url,
            "model": args.model,
            "input": args.input,
            "width": args.width,
            "batch_size": args.batch,
            "warmup_s": WARMUP_S,
            "seconds": args.seconds,
            "points": [asdict(r) for r in results],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


def _dist_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("tritonclient")
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    sys.exit(main())
