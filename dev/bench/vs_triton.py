#!/usr/bin/env python3
"""Helpers for dev/bench/vs-triton.sh (Offload vs the Triton reference, perf_analyzer as the client).

Subcommands (stdlib only, except make-repo, which runs in the Triton venv and needs protobuf + tritonclient):
  make-repo ZOO OUT MODEL...       Triton Python-backend repository mirroring the zoo's config.pbtxt
  ports N                          N free TCP ports on 127.0.0.1
  wait-ready URL PID SECONDS       poll URL/v2/health/ready until 200 (fails if PID dies or time runs out)
  shape-args ZOO MODEL             perf_analyzer --shape arguments for the model's variable dims (one per line)
  sample URL MODEL PID             JSON: process-tree CPU ticks of PID and the model's statistics counters
  point BEFORE AFTER CSV MODEL SERVER PROTOCOL CONCURRENCY [STABLE]
                                   JSON for one measured point (perf_analyzer CSV + the two samples);
                                   a one-line summary on stderr
  table RESULTS OUT_DIR DATE REV   writes OUT_DIR/vs-triton.md and .json, prints the markdown
"""
import json
import os
import socket
import sys
import time
import urllib.request

MODEL_PY = '''\
"""Triton Python-backend reference model written by dev/bench/vs-triton.sh: runs the Offload zoo's ONNX file
with ONNX Runtime (one intra-op thread). Requests of one execute() call are merged: inputs concatenated
along the batch dimension, one session run, outputs split back per request."""
import json

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        path = config["parameters"]["onnx_path"]["string_value"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.inputs = [i["name"] for i in config["input"]]
        self.outputs = [o["name"] for o in config["output"]]
        self.batching = int(config.get("max_batch_size", 0)) > 0

    def _run(self, feeds):
        return self.session.run(self.outputs, feeds)

    def _respond(self, results):
        tensors = [pb_utils.Tensor(name, np.ascontiguousarray(value)) for name, value in zip(self.outputs, results)]
        return pb_utils.InferenceResponse(output_tensors=tensors)

    def execute(self, requests):
        arrays = [{name: pb_utils.get_input_tensor_by_name(r, name).as_numpy() for name in self.inputs}
                  for r in requests]
        mergeable = self.batching and len(requests) > 1 and all(
            len({a[name].shape[1:] for a in arrays}) == 1 for name in self.inputs)
        if not mergeable:
            return [self._respond(self._run(feeds)) for feeds in arrays]
        sizes = [a[self.inputs[0]].shape[0] for a in arrays]
        feeds = {name: np.concatenate([a[name] for a in arrays]) for name in self.inputs}
        results = self._run(feeds)
        cuts = np.cumsum(sizes)[:-1]
        pieces = [np.split(value, cuts) for value in results]
        return [self._respond([piece[i] for piece in pieces]) for i in range(len(requests))]
'''


def die(message):
    sys.exit(f"[vs-triton] error: {message}")


def version_dir(model_dir):
    versions = [d for d in os.listdir(model_dir) if d.isdigit() and os.path.isfile(os.path.join(model_dir, d, "model.onnx"))]
    if not versions:
        die(f"no <version>/model.onnx under {model_dir}")
    return max(versions, key=int)


def make_repo(zoo, out, models):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    delay = int(os.environ.get("TRITON_QUEUE_DELAY_US", "0"))
    for name in models:
        source = os.path.join(zoo, name)
        with open(os.path.join(source, "config.pbtxt")) as f:
            zoo_config = text_format.Parse(f.read(), model_config_pb2.ModelConfig())
        onnx_path = os.path.abspath(os.path.join(source, version_dir(source), "model.onnx"))
        config = model_config_pb2.ModelConfig(name=name, backend="python", max_batch_size=zoo_config.max_batch_size)
        config.input.extend(zoo_config.input)
        config.output.extend(zoo_config.output)
        config.instance_group.extend(zoo_config.instance_group or [model_config_pb2.ModelInstanceGroup(count=1)])
        for group in config.instance_group:
            group.kind = model_config_pb2.ModelInstanceGroup.KIND_CPU
        if zoo_config.HasField("dynamic_batching"):
            config.dynamic_batching.SetInParent()  # merge whatever is queued; no delay unless asked
            if delay > 0:
                config.dynamic_batching.max_queue_delay_microseconds = delay
        config.parameters["onnx_path"].string_value = onnx_path
        target = os.path.join(out, name)
        os.makedirs(os.path.join(target, "1"), exist_ok=True)
        with open(os.path.join(target, "config.pbtxt"), "w") as f:
            f.write(text_format.MessageToString(config))
        with open(os.path.join(target, "1", "model.py"), "w") as f:
            f.write(MODEL_PY)


def free_ports(count):
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    print(" ".join(map(str, ports)))


def wait_ready(url, pid, seconds):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if not os.path.exists(f"/proc/{pid}"):
            die(f"server (pid {pid}) exited before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/v2/health/ready", timeout=1) as response:
                if response.status == 200:
                    print(f"{time.monotonic() - start:.2f}")
                    return
        except OSError:
            pass
        time.sleep(0.05)
    die(f"{url} not ready after {seconds} s")


def shape_args(zoo, model, size=16):
    from_text = open(os.path.join(zoo, model, "config.pbtxt")).read()
    # Small parser for the zoo's configs: name / dims pairs inside `input [ ... ]`.
    import re

    block = re.search(r"\binput\s*\[(.*?)\boutput\s*\[", from_text, re.S)
    if not block:
        return
    for name, dims in re.findall(r'name:\s*"([^"]+)".*?dims:\s*\[([^\]]*)\]', block.group(1), re.S):
        values = [int(v) for v in dims.replace(",", " ").split()]
        if any(v < 0 for v in values):
            print(f"--shape={name}:{','.join(str(size if v < 0 else v) for v in values)}")


def process_tree_ticks(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is state (field 3); ppid is field 4, utime 14, stime 15.
        children.setdefault(int(fields[1]), []).append((int(entry), int(fields[11]) + int(fields[12])))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    total, processes, stack = int(fields[11]) + int(fields[12]), 1, [pid]
    while stack:
        for child, ticks in children.get(stack.pop(), []):
            total += ticks
            processes += 1
            stack.append(child)
    return total, processes


def sample(url, model, pid):
    ticks, processes = process_tree_ticks(pid)
    with urllib.request.urlopen(f"{url}/v2/models/{model}/stats", timeout=5) as response:
        stats = json.load(response)
    counts = {"inference_count": 0, "execution_count": 0, "success_count": 0}
    for entry in stats.get("model_stats", []):
        counts["inference_count"] += int(entry.get("inference_count", 0))
        counts["execution_count"] += int(entry.get("execution_count", 0))
        counts["success_count"] += int(entry.get("inference_stats", {}).get("success", {}).get("count", 0))
    print(json.dumps({"time": time.time(), "cpu_ticks": ticks, "processes": processes, **counts}))


def read_csv(path):
    import csv

    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        die(f"no rows in {path}")
    return rows[-1]


def point(before_path, after_path, csv_path, model, server, protocol, concurrency, stable="true"):
    before, after = (json.load(open(p)) for p in (before_path, after_path))
    row = read_csv(csv_path)
    requests = after["success_count"] - before["success_count"]
    executions = after["execution_count"] - before["execution_count"]
    inferences = after["inference_count"] - before["inference_count"]
    cpu_us = (after["cpu_ticks"] - before["cpu_ticks"]) * 1e6 / os.sysconf("SC_CLK_TCK")
    result = {
        "model": model,
        "server": server,
        "protocol": protocol,
        "concurrency": int(concurrency),
        "requests_per_second": float(row["Inferences/Second"]),
        "p50_us": float(row["p50 latency"]),
        "p99_us": float(row["p99 latency"]),
        "requests_in_interval": requests,
        "requests_per_execution": inferences / executions if executions else None,
        "server_cpu_us_per_request": cpu_us / requests if requests else None,
        "server_processes": after["processes"],
        "interval_s": after["time"] - before["time"],
        "stable": stable == "true",
    }
    print(json.dumps(result))
    print(f"[vs-triton] {server} {model} {protocol} c{concurrency}: {result['requests_per_second']:.0f} req/s, "
          f"p50 {result['p50_us']:.0f} us, p99 {result['p99_us']:.0f} us, "
          f"{result['requests_per_execution'] or 0:.1f} req/exec, {result['server_cpu_us_per_request'] or 0:.0f} CPU us/req"
          + ("" if result["stable"] else " (unstable)"), file=sys.stderr)


def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def rate(p):
    """Throughput with an asterisk where perf_analyzer did not stabilize (measured again with -s 100)."""
    if not p:
        return "–"
    return fmt(p["requests_per_second"]) + ("" if p.get("stable", True) else "*")


def table(results_path, out_dir, date, revision):
    points = [json.loads(line) for line in open(results_path) if line.strip()]
    keys = sorted({(p["model"], p["protocol"], p["concurrency"]) for p in points},
                  key=lambda k: (k[0], k[1] != "grpc", k[2]))
    by = {(p["model"], p["protocol"], p["concurrency"], p["server"]): p for p in points}
    models = sorted({k[0] for k in keys})
    lines = [f"Offload vs Triton 2.51 (nvidia-pytriton 0.7.0, Python backend + ONNX Runtime), perf_analyzer, batch 1; "
             f"{date}, git {revision}", ""]
    for model in models:
        lines += [f"**{model}**", "",
                  "| protocol | in flight | Offload req/s | Triton req/s | ratio | p50 µs (O / T) | p99 µs (O / T) "
                  "| requests/execution (O / T) | server CPU µs/request (O / T) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for _, protocol, concurrency in (k for k in keys if k[0] == model):
            o = by.get((model, protocol, concurrency, "offload"), {})
            t = by.get((model, protocol, concurrency, "triton"), {})
            ratio = (o["requests_per_second"] / t["requests_per_second"]
                     if o.get("requests_per_second") and t.get("requests_per_second") else None)
            lines.append(
                f"| {'gRPC' if protocol == 'grpc' else 'HTTP'} | {concurrency} | {rate(o)} | {rate(t)} | {fmt(ratio, 2)} "
                f"| {fmt(o.get('p50_us'))} / {fmt(t.get('p50_us'))} | {fmt(o.get('p99_us'))} / {fmt(t.get('p99_us'))} "
                f"| {fmt(o.get('requests_per_execution'), 1)} / {fmt(t.get('requests_per_execution'), 1)} "
                f"| {fmt(o.get('server_cpu_us_per_request'))} / {fmt(t.get('server_cpu_us_per_request'))} |")
        lines.append("")
    if not all(p.get("stable", True) for p in points):
        lines += ["\\* perf_analyzer found no stable windows at its -s setting; measured again with -s 100.", ""]
    lines += ["O = Offload, T = Triton. Requests/execution and CPU per request cover the whole point (warm-up "
              "windows included); Triton's CPU includes its Python-backend stub processes.", ""]
    markdown = "\n".join(lines)
    with open(os.path.join(out_dir, "vs-triton.md"), "w") as f:
        f.write(markdown)
    with open(os.path.join(out_dir, "vs-triton.json"), "w") as f:
        json.dump({"date": date, "revision": revision, "points": points}, f, indent=2)
    print(markdown)


def main(argv):
    if not argv:
        die(__doc__)
    command, args = argv[0], argv[1:]
    if command == "make-repo":
        make_repo(args[0], args[1], args[2:])
    elif command == "ports":
        free_ports(int(args[0]))
    elif command == "wait-ready":
        wait_ready(args[0], int(args[1]), float(args[2]))
    elif command == "shape-args":
        shape_args(args[0], args[1])
    elif command == "sample":
        sample(args[0], args[1], int(args[2]))
    elif command == "point":
        point(*args)
    elif command == "table":
        table(*args)
    else:
        die(f"unknown subcommand {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
