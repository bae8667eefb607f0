"""Prometheus /metrics against a tritonclient run: Triton's metric names and labels, and the counts
agree with the server's own statistics. Needs OFFLOAD_METRICS_URL (set by the Swift interop runner)."""

import os
import re
import urllib.request

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

MODEL = "identity_fp32"


def scrape() -> str:
    url = os.environ.get("OFFLOAD_METRICS_URL")
    if not url:
        pytest.fail("OFFLOAD_METRICS_URL is not set (e.g. http://127.0.0.1:8002/metrics)")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def metric(text: str, name: str, model: str) -> float:
    pattern = re.compile(r"^" + name + r"\{([^}]*)\} (\S+)$", re.M)
    for labels, value in pattern.findall(text):
        if f'model="{model}"' in labels and 'version="1"' in labels:
            return float(value)
    raise AssertionError(f"{name} for {model} not in /metrics")


def test_metrics_agree_with_requests_and_statistics(client: grpcclient.InferenceServerClient):
    before = scrape()
    base = {n: metric(before, n, MODEL) for n in ("nv_inference_request_success", "nv_inference_count")} \
        if f'model="{MODEL}"' in before else {"nv_inference_request_success": 0.0, "nv_inference_count": 0.0}
    x = grpcclient.InferInput("INPUT0", [2, 3], "FP32")
    x.set_data_from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    for _ in range(5):
        client.infer(MODEL, [x])
    after = scrape()
    assert metric(after, "nv_inference_request_success", MODEL) - base["nv_inference_request_success"] == 5
    assert metric(after, "nv_inference_count", MODEL) - base["nv_inference_count"] == 10
    stats = client.get_inference_statistics(MODEL, as_json=True)["model_stats"][0]
    assert metric(after, "nv_inference_count", MODEL) == float(stats["inference_count"])
    assert metric(after, "nv_inference_exec_count", MODEL) == float(stats["execution_count"])
    for name in ("nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us",
                 "nv_inference_request_duration_us", "nv_inference_pending_request_count"):
        metric(after, name, MODEL)


def test_timing_parameters_when_asked(client: grpcclient.InferenceServerClient):
    x = grpcclient.InferInput("INPUT0", [1, 3], "FP32")
    x.set_data_from_numpy(np.ones((1, 3), dtype=np.float32))
    result = client.infer(MODEL, [x], parameters={"offload_timing": True})
    params = result.get_response().parameters
    for key in ("offload_queue_ns", "offload_compute_infer_ns", "offload_batch_size", "offload_queue_depth"):
        assert key in params, key
    assert params["offload_batch_size"].int64_param == 1
    assert not client.infer(MODEL, [x]).get_response().parameters
