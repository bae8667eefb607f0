"""System shared memory through the real tritonclient.utils.shared_memory helpers, over gRPC and HTTP.

The server must run with --allow-client-shm true (TritonClientInteropTests starts it so). Every case
runs on both protocols: register / status / unregister, inputs read from and outputs written into
regions (every fixed-size datatype, BYTES, offsets inside a region, mixed shm and in-request tensors),
and each kind of bad reference, after which the next valid request must still succeed.
"""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException, serialize_byte_tensor

from interop_common import IDENTITY_IDS, IDENTITY_TYPES, RPC_TIMEOUT_S, identity_data

PROTOCOLS = ("grpc", "http")


@pytest.fixture(params=PROTOCOLS)
def protocol(request) -> str:
    return request.param


@pytest.fixture
def client(protocol, grpc_url):
    if protocol == "grpc":
        c = grpcclient.InferenceServerClient(grpc_url)
    else:
        url = os.environ.get("OFFLOAD_HTTP_URL", "").strip()
        if not url:
            pytest.fail("OFFLOAD_HTTP_URL is not set", pytrace=False)
        c = httpclient.InferenceServerClient(url, network_timeout=RPC_TIMEOUT_S)
    yield c
    c.unregister_system_shared_memory()
    c.close()


def mod(protocol: str):
    return grpcclient if protocol == "grpc" else httpclient


def infer(client, protocol, model, inputs, outputs):
    if protocol == "grpc":
        return client.infer(model, inputs, outputs=outputs, client_timeout=RPC_TIMEOUT_S)
    return client.infer(model, inputs, outputs=outputs)


class Region:
    """A POSIX shm object made with tritonclient's helper, removed at the end."""

    def __init__(self, byte_size: int):
        self.name = f"r_{uuid.uuid4().hex[:10]}"
        self.key = f"/offload_test_{uuid.uuid4().hex[:10]}"
        self.byte_size = byte_size
        self.handle = shm.create_shared_memory_region(self.name, self.key, byte_size)

    def close(self) -> None:
        shm.destroy_shared_memory_region(self.handle)


@pytest.fixture
def regions():
    made: list[Region] = []

    def make(byte_size: int) -> Region:
        r = Region(byte_size)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def status_names(client, protocol, name: str = "") -> dict[str, tuple[str, int, int]]:
    status = client.get_system_shared_memory_status(region_name=name)
    if protocol == "grpc":
        return {k: (v.key, v.offset, v.byte_size) for k, v in status.regions.items()}
    return {r["name"]: (r["key"], int(r.get("offset", 0)), int(r["byte_size"])) for r in status}


def test_register_status_unregister(client, protocol, regions):
    a, b = regions(64), regions(4096)
    client.register_system_shared_memory(a.name, a.key, 64)
    client.register_system_shared_memory(b.name, b.key, 1024, offset=2048)
    names = status_names(client, protocol)
    assert names[a.name] == (a.key, 0, 64)
    assert names[b.name] == (b.key, 2048, 1024)
    assert status_names(client, protocol, b.name) == {b.name: (b.key, 2048, 1024)}
    client.unregister_system_shared_memory(a.name)
    assert a.name not in status_names(client, protocol)
    client.unregister_system_shared_memory()
    assert status_names(client, protocol) == {}


def test_add_sub_inputs_and_outputs_in_shared_memory(client, protocol, regions):
    m = mod(protocol)
    x = np.arange(16, dtype=np.float32).reshape(1, 16)
    y = np.full((1, 16), 0.5, dtype=np.float32)
    # One region holds both inputs (second at an offset), another both outputs.
    inp, out = regions(128), regions(256)
    shm.set_shared_memory_region(inp.handle, [x])
    shm.set_shared_memory_region(inp.handle, [y], offset=64)
    client.register_system_shared_memory(inp.name, inp.key, 128)
    client.register_system_shared_memory(out.name, out.key, 256)
    i0, i1 = m.InferInput("INPUT0", [1, 16], "FP32"), m.InferInput("INPUT1", [1, 16], "FP32")
    i0.set_shared_memory(inp.name, 64)
    i1.set_shared_memory(inp.name, 64, offset=64)
    o0, o1 = m.InferRequestedOutput("OUTPUT0"), m.InferRequestedOutput("OUTPUT1")
    o0.set_shared_memory(out.name, 64)
    o1.set_shared_memory(out.name, 64, offset=128)
    result = infer(client, protocol, "add_sub", [i0, i1], [o0, o1])
    got0 = result.get_output("OUTPUT0")
    if protocol == "grpc":
        assert got0.parameters["shared_memory_region"].string_param == out.name
    else:
        # As Triton: an output in shared memory is listed without data and without parameters (the C++
        # client, and so perf_analyzer, reads output parameters as binary data).
        assert got0["shape"] == [1, 16] and "parameters" not in got0 and "data" not in got0
    sum_ = shm.get_contents_as_numpy(out.handle, np.float32, [1, 16])
    diff = shm.get_contents_as_numpy(out.handle, np.float32, [1, 16], offset=128)
    np.testing.assert_array_equal(sum_, x + y)
    np.testing.assert_array_equal(diff, x - y)
    # The same region can be reused for the next request.
    shm.set_shared_memory_region(inp.handle, [y * 4], offset=64)
    infer(client, protocol, "add_sub", [i0, i1], [o0, o1])
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out.handle, np.float32, [1, 16]), x + 4 * y)


def test_mixed_shared_memory_and_request_tensors(client, protocol, regions):
    """One input from shm, one in the request; one output to shm, one in the response."""
    m = mod(protocol)
    x = np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 16)
    y = np.ones((1, 16), dtype=np.float32)
    inp, out = regions(64), regions(64)
    shm.set_shared_memory_region(inp.handle, [x])
    client.register_system_shared_memory(inp.name, inp.key, 64)
    client.register_system_shared_memory(out.name, out.key, 64)
    i0, i1 = m.InferInput("INPUT0", [1, 16], "FP32"), m.InferInput("INPUT1", [1, 16], "FP32")
    i0.set_shared_memory(inp.name, 64)
    i1.set_data_from_numpy(y)
    o0, o1 = m.InferRequestedOutput("OUTPUT0"), m.InferRequestedOutput("OUTPUT1")
    o1.set_shared_memory(out.name, 64)
    result = infer(client, protocol, "add_sub", [i0, i1], [o0, o1])
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), x + y)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out.handle, np.float32, [1, 16]), x - y)


@pytest.mark.parametrize("suffix", IDENTITY_IDS)
def test_every_datatype_round_trips_through_shared_memory(client, protocol, regions, suffix):
    if suffix == "bf16":
        pytest.skip("tritonclient's shared_memory helpers have no bfloat16 numpy type")
    _, wire, _, np_dtype = next(t for t in IDENTITY_TYPES if t[0] == suffix)
    m = mod(protocol)
    data = identity_data(suffix, np_dtype, np.random.default_rng(7))
    if suffix == "bytes":
        payload = serialize_byte_tensor(data)
        size = len(payload.item())
    else:
        payload, size = data, data.nbytes
    inp, out = regions(size), regions(size)
    shm.set_shared_memory_region(inp.handle, [payload])
    client.register_system_shared_memory(inp.name, inp.key, size)
    client.register_system_shared_memory(out.name, out.key, size)
    i = m.InferInput("INPUT0", list(data.shape), wire)
    i.set_shared_memory(inp.name, size)
    o = m.InferRequestedOutput("OUTPUT0")
    o.set_shared_memory(out.name, size)
    infer(client, protocol, f"identity_{suffix}", [i], [o])
    got = shm.get_contents_as_numpy(out.handle, np_dtype, list(data.shape))
    if suffix == "bytes":
        assert [bytes(v) for v in got.ravel()] == list(data.ravel())
    else:
        assert got.tobytes() == data.tobytes()


def _expect_error(fn, *fragments: str, status: str | None = None) -> None:
    with pytest.raises(InferenceServerException) as info:
        fn()
    message = info.value.message()
    for fragment in fragments:
        assert fragment in message, message
    if status is not None:
        assert str(info.value.status()) in (status, f"StatusCode.{status}"), (info.value.status(), message)


def _valid_request(client, protocol) -> None:
    m = mod(protocol)
    x = np.ones((1, 16), dtype=np.float32)
    i0, i1 = m.InferInput("INPUT0", [1, 16], "FP32"), m.InferInput("INPUT1", [1, 16], "FP32")
    i0.set_data_from_numpy(x)
    i1.set_data_from_numpy(x)
    result = infer(client, protocol, "add_sub", [i0, i1], None)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), x + x)


def test_bad_shared_memory_references_get_clear_errors(client, protocol, regions):
    m = mod(protocol)
    r = regions(64)
    client.register_system_shared_memory(r.name, r.key, 64)

    def request(input_region: str, input_size: int, input_offset: int = 0, output_size: int | None = None):
        i0, i1 = m.InferInput("INPUT0", [1, 16], "FP32"), m.InferInput("INPUT1", [1, 16], "FP32")
        i0.set_shared_memory(input_region, input_size, offset=input_offset)
        i1.set_data_from_numpy(np.zeros((1, 16), dtype=np.float32))
        outputs = None
        if output_size is not None:
            o = m.InferRequestedOutput("OUTPUT0")
            o.set_shared_memory(r.name, output_size)
            outputs = [o]
        return lambda: infer(client, protocol, "add_sub", [i0, i1], outputs)

    # Unknown region.
    _expect_error(request("no_such_region", 64), "no_such_region", "not registered")
    _valid_request(client, protocol)
    # offset + size outside the region.
    _expect_error(request(r.name, 64, input_offset=8), "outside shared memory region", r.name)
    _valid_request(client, protocol)
    # Byte size that disagrees with the shape.
    _expect_error(request(r.name, 32), "INPUT0")
    _valid_request(client, protocol)
    # Region too small for the output.
    _expect_error(request(r.name, 64, output_size=16), "OUTPUT0", "needs 64 bytes", "byte_size is 16")
    _valid_request(client, protocol)
    # Registering a key that does not exist.
    _expect_error(
        lambda: client.register_system_shared_memory("ghost", "/offload_no_such_key_xyz", 64),
        "/offload_no_such_key_xyz",
    )
    # Registering more than the object holds.
    _expect_error(lambda: client.register_system_shared_memory("big", r.key, 65), "holds 64 bytes")
    # The same name twice.
    _expect_error(lambda: client.register_system_shared_memory(r.name, r.key, 64), "already registered")
    # Status of an unknown region.
    _expect_error(lambda: client.get_system_shared_memory_status(region_name="nope"), "nope", "not registered")
    _valid_request(client, protocol)
    assert set(status_names(client, protocol)) == {r.name}


def test_unregister_while_in_use_is_safe(client, protocol, regions):
    """Unregistering a region and re-registering the name with another object serves the new one."""
    m = mod(protocol)
    first, second = regions(64), regions(64)
    x, y = np.full((1, 16), 2, np.float32), np.full((1, 16), 3, np.float32)
    shm.set_shared_memory_region(first.handle, [x])
    shm.set_shared_memory_region(second.handle, [y])
    client.register_system_shared_memory("swap", first.key, 64)
    i0, i1 = m.InferInput("INPUT0", [1, 16], "FP32"), m.InferInput("INPUT1", [1, 16], "FP32")
    i0.set_shared_memory("swap", 64)
    i1.set_data_from_numpy(np.zeros((1, 16), np.float32))
    np.testing.assert_array_equal(infer(client, protocol, "add_sub", [i0, i1], None).as_numpy("OUTPUT0"), x)
    client.unregister_system_shared_memory("swap")
    client.register_system_shared_memory("swap", second.key, 64)
    np.testing.assert_array_equal(infer(client, protocol, "add_sub", [i0, i1], None).as_numpy("OUTPUT0"), y)


def test_cuda_shared_memory_is_refused_clearly(client, protocol):
    _expect_error(lambda: client.get_cuda_shared_memory_status(), "CUDA shared memory is not available")
