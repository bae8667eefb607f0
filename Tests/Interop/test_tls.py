"""tritonclient over TLS with mutual TLS and a restricted protocol group.

Runs only when the Swift runner (TritonClientInteropTests.tritonclientOverMutualTLSWithACredential) started a
server with --tls-cert/--tls-key/--tls-client-ca and a model-repository restriction, and passed:
OFFLOAD_TLS_GRPC_URL, OFFLOAD_TLS_HTTP_URL (host:port), OFFLOAD_TLS_CA, OFFLOAD_TLS_CLIENT_CERT,
OFFLOAD_TLS_CLIENT_KEY (PEM files made at test time), OFFLOAD_TLS_HEADER and OFFLOAD_TLS_TOKEN (the credential
of the model-repository group). Skipped otherwise (the plaintext interop run).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

ENV = {
    name: os.environ.get(f"OFFLOAD_TLS_{name}", "")
    for name in ("GRPC_URL", "HTTP_URL", "CA", "CLIENT_CERT", "CLIENT_KEY", "HEADER", "TOKEN")
}
pytestmark = pytest.mark.skipif(not all(ENV.values()), reason="no TLS server (set by the Swift interop runner)")
TIMEOUT_S = 30


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _grpc(with_certificate: bool = True) -> grpcclient.InferenceServerClient:
    return grpcclient.InferenceServerClient(
        ENV["GRPC_URL"],
        ssl=True,
        root_certificates=ENV["CA"],
        private_key=ENV["CLIENT_KEY"] if with_certificate else None,
        certificate_chain=ENV["CLIENT_CERT"] if with_certificate else None,
    )


def _http(with_certificate: bool = True) -> httpclient.InferenceServerClient:
    options = {"ca_certs": ENV["CA"]}
    if with_certificate:
        options.update(certfile=ENV["CLIENT_CERT"], keyfile=ENV["CLIENT_KEY"])
    return httpclient.InferenceServerClient(ENV["HTTP_URL"], ssl=True, ssl_options=options, network_timeout=TIMEOUT_S)


def _identity(module, value: float):
    data = np.array([[value]], dtype=np.float32)
    tensor = module.InferInput("INPUT0", list(data.shape), "FP32")
    tensor.set_data_from_numpy(data)
    return [tensor]


def test_grpc_inference_over_mutual_tls() -> None:
    client = _grpc()
    assert client.is_server_ready(client_timeout=TIMEOUT_S)
    result = client.infer("identity_fp32", _identity(grpcclient, 2.5), client_timeout=TIMEOUT_S)
    assert result.as_numpy("OUTPUT0").tolist() == [[2.5]]


def test_http_inference_over_mutual_tls() -> None:
    client = _http()
    assert client.is_server_ready()
    result = client.infer("identity_fp32", _identity(httpclient, 1.5))
    assert result.as_numpy("OUTPUT0").tolist() == [[1.5]]


def test_grpc_without_a_client_certificate_is_refused() -> None:
    with pytest.raises(InferenceServerException):
        _grpc(with_certificate=False).is_server_live(client_timeout=5)


def test_http_without_a_client_certificate_is_refused() -> None:
    with pytest.raises(Exception):  # noqa: B017 - an SSL or connection error, depending on when it is seen
        _http(with_certificate=False).is_server_live()


def test_grpc_restricted_group_needs_the_header() -> None:
    client = _grpc()
    with pytest.raises(InferenceServerException) as refused:
        client.get_model_repository_index(client_timeout=TIMEOUT_S)
    assert "UNAUTHENTICATED" in str(refused.value.status())
    assert ENV["TOKEN"] not in str(refused.value)
    index = client.get_model_repository_index(headers={ENV["HEADER"]: ENV["TOKEN"]}, client_timeout=TIMEOUT_S)
    assert any(model.name == "identity_fp32" for model in index.models)


def test_http_restricted_group_needs_the_header() -> None:
    client = _http()
    with pytest.raises(InferenceServerException) as refused:
        client.get_model_repository_index()
    assert "401" in str(refused.value.status()) or "restricted" in str(refused.value)
    assert ENV["TOKEN"] not in str(refused.value)
    index = client.get_model_repository_index(headers={ENV["HEADER"]: ENV["TOKEN"]})
    assert any(model["name"] == "identity_fp32" for model in index)
