"""16 MiB through identity_fp32: tensors in the request/response vs through system shared memory.

End to end as a client sees it, per request: the client fills the input (numpy array -> wire, or -> shm
region), the server runs the identity model, the client gets the output as a numpy array it owns (a copy
out of the shm region, so both sides pay for delivering it). gRPC and HTTP (binary tensors), one request
at a time, median and p90 over --iterations after --warmup. Needs a server started with
--allow-client-shm true serving examples/models. Prints a markdown table and writes JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm


def run(client, mod, protocol: str, use_shm: bool, data: np.ndarray, iterations: int, warmup: int) -> list[float]:
    nbytes = data.nbytes
    regions = []
    if use_shm:
        for role in ("in", "out"):
            name, key = f"bench_{role}_{uuid.uuid4().hex[:8]}", f"/offload_bench_{uuid.uuid4().hex[:8]}"
            handle = shm.create_shared_memory_region(name, key, nbytes)
            client.register_system_shared_memory(name, key, nbytes)
            regions.append((name, handle))
    times = []
    try:
        for i in range(warmup + iterations):
            start = time.perf_counter()
            inp = mod.InferInput("INPUT0", list(data.shape), "FP32")
            out = mod.InferRequestedOutput("OUTPUT0", **({} if protocol == "grpc" or use_shm else {"binary_data": True}))
            if use_shm:
                shm.set_shared_memory_region(regions[0][1], [data])
                inp.set_shared_memory(regions[0][0], nbytes)
                out.set_shared_memory(regions[1][0], nbytes)
            else:
                inp.set_data_from_numpy(data, **({} if protocol == "grpc" else {"binary_data": True}))
            result = client.infer("identity_fp32", [inp], outputs=[out])
            if use_shm:
                got = np.array(shm.get_contents_as_numpy(regions[1][1], np.float32, list(data.shape)), copy=True)
            else:
                got = result.as_numpy("OUTPUT0")
            elapsed = time.perf_counter() - start
            assert got.shape == data.shape and got[0, -1] == data[0, -1], "wrong answer"
            if i >= warmup:
                times.append(elapsed)
    finally:
        for name, handle in regions:
            client.unregister_system_shared_memory(name)
            shm.destroy_shared_memory_region(handle)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpc", default="127.0.0.1:8001")
    parser.add_argument("--http", default="127.0.0.1:8000")
    parser.add_argument("--mib", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    data = np.random.default_rng(1).standard_normal((1, args.mib * (1 << 20) // 4)).astype(np.float32)
    clients = {
        "grpc": (grpcclient.InferenceServerClient(args.grpc), grpcclient),
        "http": (httpclient.InferenceServerClient(args.http, network_timeout=120, connection_timeout=120), httpclient),
    }
    rows = []
    for protocol, (client, mod) in clients.items():
        medians = {}
        for use_shm in (False, True):
            times = run(client, mod, protocol, use_shm, data, args.iterations, args.warmup)
            median = statistics.median(times)
            p90 = sorted(times)[int(0.9 * (len(times) - 1))]
            medians[use_shm] = median
            rows.append({"protocol": protocol, "shared_memory": use_shm, "median_ms": median * 1e3, "p90_ms": p90 * 1e3})
        rows[-1]["speedup"] = medians[False] / medians[True]
    print(f"| protocol | tensors | median ms | p90 ms | shm speed-up |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        where = "system shared memory" if r["shared_memory"] else "in the message"
        speed = f"**{r['speedup']:.1f}x**" if "speedup" in r else ""
        print(f"| {r['protocol']} | {where} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {speed} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mib": args.mib, "iterations": args.iterations, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
