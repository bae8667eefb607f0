#!/usr/bin/env python3
"""Direct ONNX Runtime throughput with ONNX Runtime's own defaults (the reference of batch-throughput.sh).

Usage: direct_ort.py MODEL.onnx BATCH SECONDS [--shape=NAME:D1,D2 ...]
Prints one JSON line: {"inferences_per_s": ..., "runs": ..., "threads": "ORT default"}.
Inputs are random float32 (or zeros of other types) of shape [BATCH] + dims, variable dims from --shape.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    model, batch, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    shapes = {}
    for arg in sys.argv[4:]:
        name, dims = arg.removeprefix("--shape=").split(":")
        shapes[name] = [int(d) for d in dims.split(",")]
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])  # ORT's defaults otherwise
    rng = np.random.default_rng(1)
    feeds = {}
    for info in session.get_inputs():
        dims = shapes.get(info.name) or [d if isinstance(d, int) else 1 for d in info.shape[1:]]
        shape = [batch] + dims
        if info.type == "tensor(float)":
            feeds[info.name] = rng.random(shape, dtype=np.float32)
        else:
            feeds[info.name] = np.zeros(shape, dtype=np.float32)
    for _ in range(20):
        session.run(None, feeds)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.run(None, feeds)
        runs += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"inferences_per_s": runs * batch / elapsed, "runs": runs, "threads": "ORT default"}))


if __name__ == "__main__":
    main()
