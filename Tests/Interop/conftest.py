"""Fixtures for the Triton gRPC interop tests.

The tests talk to an already running Offload server through the real
`tritonclient.grpc` package. Its address comes from OFFLOAD_GRPC_URL
(host:port, e.g. 127.0.0.1:8001). test_tritonclient_grpc.py needs the server to
serve examples/models, test_model_zoo.py needs models/ (the model zoo); one
server can serve both (their model names are disjoint):

    offload serve --model-repository examples/models --model-repository models
    OFFLOAD_GRPC_URL=127.0.0.1:8001 .venv/bin/python -m pytest Tests/Interop

OFFLOAD_GRPC_READY_TIMEOUT (seconds, default 30) bounds how long the session
waits for the server to accept connections and report ready.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import grpc
import onnxruntime as ort
import pytest
import tritonclient.grpc as grpcclient

REPO_ROOT = (Path(__file__).resolve().parent / ".." / "..").resolve()
MODELS_DIR = REPO_ROOT / "examples" / "models"
ZOO_MODELS_DIR = REPO_ROOT / "models"  # the model zoo, written by zoo/train.sh

# Per-call deadline for every RPC the tests make, so a hung server fails the
# test instead of hanging the run.
RPC_TIMEOUT_S = float(os.environ.get("OFFLOAD_GRPC_RPC_TIMEOUT", "60"))


@pytest.fixture(scope="session")
def grpc_url() -> str:
    url = os.environ.get("OFFLOAD_GRPC_URL", "").strip()
    if not url:
        pytest.fail(
            "OFFLOAD_GRPC_URL is not set: start the Offload server on examples/models "
            "and export OFFLOAD_GRPC_URL=host:port",
            pytrace=False,
        )
    return url


def _wait_until_ready(url: str, client: grpcclient.InferenceServerClient) -> None:
    timeout = float(os.environ.get("OFFLOAD_GRPC_READY_TIMEOUT", "30"))
    deadline = time.monotonic() + timeout
    # Wait for the transport without sleeping: gRPC reports channel readiness.
    channel = grpc.insecure_channel(url)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        pytest.fail(f"no gRPC server reachable at {url} within {timeout:g}s", pytrace=False)
    finally:
        channel.close()
    # The server may listen before its models are loaded: poll readiness,
    # bounded by the same deadline.
    last_error = None
    while True:
        try:
            if client.is_server_ready(client_timeout=5):
                return
        except Exception as error:  # noqa: BLE001 - reported below
            last_error = error
        if time.monotonic() >= deadline:
            pytest.fail(f"server at {url} not ready within {timeout:g}s (last error: {last_error})", pytrace=False)
        time.sleep(0.05)


@pytest.fixture(scope="session")
def client(grpc_url: str):
    with grpcclient.InferenceServerClient(url=grpc_url) as c:
        _wait_until_ready(grpc_url, c)
        yield c


@pytest.fixture
def fresh_client(grpc_url: str, client):
    """A client of its own (streams are per client and not thread-safe)."""
    with grpcclient.InferenceServerClient(url=grpc_url) as c:
        yield c


@pytest.fixture(scope="session")
def models_dir() -> Path:
    if not (MODELS_DIR / "ghost_mlp" / "1" / "model.onnx").is_file():
        pytest.fail(f"model repository missing at {MODELS_DIR}; run dev/make-example-models.py", pytrace=False)
    return MODELS_DIR


@pytest.fixture(scope="session")
def zoo_models_dir() -> Path:
    if not (ZOO_MODELS_DIR / "lhcb_ghost_mlp" / "1" / "model.onnx").is_file():
        pytest.fail(f"model zoo missing at {ZOO_MODELS_DIR}; run zoo/train.sh", pytrace=False)
    return ZOO_MODELS_DIR


@pytest.fixture(scope="session")
def ort_session(models_dir: Path):
    """Factory: onnxruntime CPU session for examples/models/<name>/1/model.onnx."""
    cache: dict[str, ort.InferenceSession] = {}

    def get(name: str) -> ort.InferenceSession:
        if name not in cache:
            cache[name] = ort.InferenceSession(
                str(models_dir / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"]
            )
        return cache[name]

    return get
