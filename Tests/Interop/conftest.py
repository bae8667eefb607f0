"""Fixtures for the Triton interop tests (gRPC and HTTP/REST).

The tests talk to an already running Offload server through the real
`tritonclient.grpc` and `tritonclient.http` packages. The gRPC address comes
from OFFLOAD_GRPC_URL (host:port, e.g. 127.0.0.1:8001), the HTTP address from
OFFLOAD_HTTP_URL (host:port, e.g. 127.0.0.1:8000; only the HTTP tests and the
protocol table need it). test_tritonclient_grpc.py needs the server to
serve examples/models, test_model_zoo.py needs models/ (the model zoo); one
server can serve both (their model names are disjoint):

    offload serve --model-repository examples/models --model-repository models \
        --model-control-mode explicit --load-model '*'   # the load/unload tests need explicit mode
    OFFLOAD_GRPC_URL=127.0.0.1:8001 OFFLOAD_HTTP_URL=127.0.0.1:8000 \
        OFFLOAD_METRICS_URL=http://127.0.0.1:8002/metrics .venv/bin/python -m pytest Tests/Interop

OFFLOAD_GRPC_READY_TIMEOUT (seconds, default 30) bounds how long the session
waits for the server to accept connections and report ready (on either
protocol; OFFLOAD_HTTP_READY_TIMEOUT overrides it for HTTP).
"""

from __future__ import annotations

import http.client
import os
import time
from pathlib import Path

import grpc
import onnxruntime as ort
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

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


def split_http_url(url: str) -> tuple[str, int]:
    """host:port (an http:// prefix and a trailing slash are tolerated) -> (host, port)."""
    rest = url.strip()
    if rest.startswith("http://"):
        rest = rest[len("http://") :]
    rest = rest.rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        pytest.fail(f"OFFLOAD_HTTP_URL must be host:port, got {url!r}", pytrace=False)
    return host.strip("[]"), int(port)


def _wait_until_http_ready(url: str) -> None:
    timeout = float(os.environ.get("OFFLOAD_HTTP_READY_TIMEOUT", os.environ.get("OFFLOAD_GRPC_READY_TIMEOUT", "30")))
    host, port = split_http_url(url)
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=5)
        try:
            connection.request("GET", "/v2/health/ready")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except OSError as error:
            last = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        if time.monotonic() >= deadline:
            pytest.fail(
                f"HTTP server at {url} not ready within {timeout:g}s (GET /v2/health/ready: {last})", pytrace=False
            )
        time.sleep(0.05)


@pytest.fixture(scope="session")
def http_url() -> str:
    """host:port of the HTTP/REST front end, once GET /v2/health/ready answers 200."""
    url = os.environ.get("OFFLOAD_HTTP_URL", "").strip()
    if not url:
        pytest.fail(
            "OFFLOAD_HTTP_URL is not set: start the Offload server (its HTTP front end serves examples/models) "
            "and export OFFLOAD_HTTP_URL=host:port (e.g. 127.0.0.1:8000)",
            pytrace=False,
        )
    _wait_until_http_ready(url)
    host, port = split_http_url(url)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@pytest.fixture(scope="session")
def http_client(http_url: str):
    """tritonclient.http client; concurrency 4 so async_infer requests overlap."""
    c = httpclient.InferenceServerClient(
        url=http_url, concurrency=4, connection_timeout=RPC_TIMEOUT_S, network_timeout=RPC_TIMEOUT_S
    )
    try:
        yield c
    finally:
        c.close()


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
