"""Checks a running Offload (or Triton) server as a user would, with the real tritonclient: waits until it
and `lhcb_ghost_mlp` are ready, infers a random batch over gRPC and over HTTP (binary tensors), compares both
with ONNX Runtime run on the same model file, and prints the models that are ready.

Used by dev/check-wheel.sh and dev/build-image.sh. Exit status 1 with the reason on failure.
Usage: infer-check.py --http PORT --grpc PORT --zoo DIR [--rows N] [--seed S] [--label TEXT]
"""

import argparse
import sys
import time

import numpy as np
import onnxruntime
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

MODEL, INPUT, OUTPUT = "lhcb_ghost_mlp", "features", "ghost_prob"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", required=True)
    parser.add_argument("--grpc", required=True)
    parser.add_argument("--zoo", required=True, help="the model repository the server serves (for ONNX Runtime)")
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="server")
    args = parser.parse_args()

    http = httpclient.InferenceServerClient(f"127.0.0.1:{args.http}")
    deadline = time.monotonic() + 60
    while True:
        try:
            if http.is_server_ready() and http.is_model_ready(MODEL):
                break
        except Exception:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{args.label}: not ready within 60 s")
        time.sleep(0.1)

    features = np.random.default_rng(args.seed).normal(size=(args.rows, 17)).astype(np.float32)
    session = onnxruntime.InferenceSession(f"{args.zoo}/{MODEL}/1/model.onnx")
    expected = session.run(None, {INPUT: features})[0]

    grpc = grpcclient.InferenceServerClient(f"127.0.0.1:{args.grpc}")
    grpc_input = grpcclient.InferInput(INPUT, list(features.shape), "FP32")
    grpc_input.set_data_from_numpy(features)
    http_input = httpclient.InferInput(INPUT, list(features.shape), "FP32")
    http_input.set_data_from_numpy(features, binary_data=True)
    answers = {
        "gRPC": grpc.infer(MODEL, [grpc_input]).as_numpy(OUTPUT),
        "HTTP": http.infer(MODEL, [http_input]).as_numpy(OUTPUT),
    }
    for protocol, got in answers.items():
        if got is None or got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-5, atol=1e-6):
            sys.exit(f"{args.label}: the {protocol} output differs from ONNX Runtime's")
    ready = sorted(m["name"] for m in http.get_model_repository_index() if m.get("state") == "READY")
    print(f"{args.label}: {len(ready)} models ready {ready}; gRPC and HTTP outputs equal ONNX Runtime's "
          f"for {args.rows} rows")


if __name__ == "__main__":
    main()
