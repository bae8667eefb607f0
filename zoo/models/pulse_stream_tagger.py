"""pulse_stream_tagger: a stateful model that tags pulses in a streamed channel and tracks its pedestal.

One request is one chunk of one channel; the channel is one sequence (its
sequence_id), and the pedestal estimate is the sequence's implicit state,
kept by the server between requests (`state { input_name: "pedestal_in"
output_name: "pedestal_out" }`). The START control (`start`, FP32 0/1) marks
the first chunk.

In the graph, per chunk:
  low      = mean of the 4 lowest samples + OFFSET (a pulse-robust level)
  previous = low on a sequence's first chunk, else pedestal_in
  pedestal = previous + ALPHA * (low - previous)        -> pedestal, pedestal_out
  features = [(samples - previous) / 3, (low - previous) / 3], standardized
  pulse_prob = sigmoid(MLP 17 -> 32 -> 16 -> 1)
The MLP is trained with binary cross-entropy on toy streams
(zoo/toysim/pulse_stream.py) whose chunks were run through the same recurrence.
"""

from __future__ import annotations

import time

import numpy as np

from zoo import nn
from zoo.metrics import roc_auc
from zoo.onnx_build import FLOAT, GraphBuilder
from zoo.toysim import pulse_stream

NAME = "pulse_stream_tagger"
INIT_SEED = 67_000_001
N_STREAMS, N_CHUNKS = 256, 400
EPOCHS = 8
BATCH = 256
LR = 2e-3
SIZES = [pulse_stream.CHUNK + 1, 32, 16, 1]
OFFSET = 2.3  # counts: the 4 lowest of 16 noisy samples sit about 1 sigma (1.5-3 counts) below the pedestal
ALPHA = 0.3
SCALE = 3.0
LOWEST = 4
MAX_BATCH = 64

# What the server feeds: the implicit state and the START control (used by the in-process predictor too).
STATE_IN, STATE_OUT, START = "pedestal_in", "pedestal_out", "start"


def recurrence(samples: np.ndarray, starts: np.ndarray, pedestal_in: np.ndarray):
    """One step for rows of chunks: samples [N, CHUNK], starts [N] bool, pedestal_in [N]
    -> (previous, pedestal, features [N, CHUNK + 1]), as the graph computes them."""
    low = np.sort(samples, axis=1)[:, :LOWEST].mean(axis=1) + np.float32(OFFSET)
    previous = np.where(starts, low, pedestal_in).astype(np.float32)
    pedestal = previous + np.float32(ALPHA) * (low - previous)
    features = np.concatenate([(samples - previous[:, None]) / SCALE, ((low - previous) / SCALE)[:, None]], axis=1)
    return previous, pedestal.astype(np.float32), features.astype(np.float32)


def stream_features(samples: np.ndarray, stateless: bool = False) -> np.ndarray:
    """Features of every chunk of [streams, chunks, CHUNK] samples, each stream one sequence (or, stateless,
    every chunk a sequence of its own) -> [streams * chunks, CHUNK + 1] in stream-major order."""
    n_streams, n_chunks, _ = samples.shape
    out = np.empty((n_streams, n_chunks, pulse_stream.CHUNK + 1), np.float32)
    pedestal = np.zeros(n_streams, np.float32)
    for c in range(n_chunks):
        starts = np.full(n_streams, stateless or c == 0)
        _, pedestal, out[:, c] = recurrence(samples[:, c], starts, pedestal)
    return out.reshape(-1, pulse_stream.CHUNK + 1)


def train(log) -> dict:
    t0 = time.perf_counter()
    x, y, _ = pulse_stream.generate(N_STREAMS, N_CHUNKS, pulse_stream.TRAIN_SEED)
    features = stream_features(x)
    labels = y.reshape(-1).astype(np.float32)
    n_val = len(labels) // 10
    mean, std = features[n_val:].mean(axis=0), features[n_val:].std(axis=0)
    xn = (features - mean) / std
    log(f"generated {N_STREAMS} streams x {N_CHUNKS} chunks ({labels.mean():.1%} with a pulse) in {time.perf_counter() - t0:.1f}s")
    rng = nn.generator(INIT_SEED)
    mlp = nn.MLP(rng, SIZES, "mlp")
    steps = EPOCHS * ((len(labels) - n_val + BATCH - 1) // BATCH)
    opt = nn.Adam(mlp.params(), LR, steps)
    for epoch in range(EPOCHS):
        total = 0.0
        for idx in nn.minibatches(rng, len(labels) - n_val, BATCH):
            idx = idx + n_val
            loss, g = nn.bce_with_logits(mlp.forward(xn[idx])[:, 0], labels[idx])
            mlp.backward(g[:, None])
            opt.step()
            total += loss * len(idx)
        auc = roc_auc(mlp.forward(xn[:n_val])[:, 0], labels[:n_val])
        log(f"epoch {epoch + 1}/{EPOCHS} loss {total / (len(labels) - n_val):.4f} validation AUC {auc:.4f}")
    return {"mlp": mlp, "mean": mean.astype(np.float32), "std": std.astype(np.float32)}


def numpy_stream(trained: dict, samples: np.ndarray, stateless: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """pulse_prob and pedestal of every chunk, [streams, chunks] each, as the served model gives them."""
    n_streams, n_chunks, _ = samples.shape
    prob = np.empty((n_streams, n_chunks), np.float32)
    pedestals = np.empty((n_streams, n_chunks), np.float32)
    pedestal = np.zeros(n_streams, np.float32)
    for c in range(n_chunks):
        starts = np.full(n_streams, stateless or c == 0)
        _, pedestal, features = recurrence(samples[:, c], starts, pedestal)
        prob[:, c] = nn.sigmoid(trained["mlp"].forward((features - trained["mean"]) / trained["std"]))[:, 0]
        pedestals[:, c] = pedestal
    return prob, pedestals


def build_onnx(trained: dict):
    b = GraphBuilder(NAME)
    b.input("samples", FLOAT, ["batch", pulse_stream.CHUNK])
    b.input(STATE_IN, FLOAT, ["batch", 1])
    b.input(START, FLOAT, ["batch", 1])
    b.output("pulse_prob", FLOAT, ["batch", 1])
    b.output("pedestal", FLOAT, ["batch", 1])
    b.output(STATE_OUT, FLOAT, ["batch", 1])
    lowest = b.op("TopK", ["samples", b.i64("lowest_k", [LOWEST])], "lowest", axis=1, largest=0, sorted=1)
    b.nodes[-1].output.append("lowest_indices")
    low = b.op("Add", [b.op("ReduceMean", [lowest], "lowest_mean", axes=[1], keepdims=1), b.f32("offset", OFFSET)], "low")
    # previous = start * low + (1 - start) * pedestal_in
    keep = b.op("Sub", [b.f32("one", 1.0), START], "keep")
    previous = b.op("Add", [b.op("Mul", [START, low], "from_low"), b.op("Mul", [keep, STATE_IN], "from_state")], "previous")
    step = b.op("Mul", [b.f32("alpha", ALPHA), b.op("Sub", [low, previous], "drift")], "step")
    b.op("Add", [previous, step], "pedestal")
    b.op("Identity", ["pedestal"], STATE_OUT)
    scale = b.f32("scale", SCALE)
    residual = b.op("Div", [b.op("Sub", ["samples", previous], "residual_raw"), scale], "residual")
    level = b.op("Div", ["drift", scale], "level")
    x = b.op("Concat", [residual, level], "features", axis=1)
    x = b.op("Div", [b.op("Sub", [x, b.f32("feature_mean", trained["mean"])], "centered"), b.f32("feature_std", trained["std"])], "standardized")
    logit = b.mlp(x, trained["mlp"].weights(), "mlp", gemm=True)
    b.op("Sigmoid", [logit], "pulse_prob")
    return b.model(
        "Stateful pulse tagger with pedestal tracking (toy, zoo/models/pulse_stream_tagger.py). samples [B,16] ADC "
        "counts of one chunk of one channel (a sequence); pedestal_in/pedestal_out [B,1]: the implicit state; start "
        "[B,1]: the START control; pulse_prob [B,1], pedestal [B,1]."
    )


def config() -> str:
    return (
        f'name: "{NAME}"\n'
        'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {MAX_BATCH}\n"
        f'input [\n  {{\n    name: "samples"\n    data_type: TYPE_FP32\n    dims: [ {pulse_stream.CHUNK} ]\n  }}\n]\n'
        "output [\n"
        '  {\n    name: "pulse_prob"\n    data_type: TYPE_FP32\n    dims: [ 1 ]\n  },\n'
        '  {\n    name: "pedestal"\n    data_type: TYPE_FP32\n    dims: [ 1 ]\n  }\n'
        "]\n"
        "instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]\n"
        "sequence_batching {\n"
        "  max_sequence_idle_microseconds: 5000000\n"
        "  direct {\n  }\n"
        "  control_input [\n"
        "    {\n"
        f'      name: "{START}"\n'
        "      control [\n        {\n          kind: CONTROL_SEQUENCE_START\n          fp32_false_true: [ 0, 1 ]\n        }\n      ]\n"
        "    }\n"
        "  ]\n"
        "  state [\n"
        "    {\n"
        f'      input_name: "{STATE_IN}"\n'
        f'      output_name: "{STATE_OUT}"\n'
        "      data_type: TYPE_FP32\n"
        "      dims: [ 1 ]\n"
        '      initial_state {\n        name: "zero"\n        data_type: TYPE_FP32\n        dims: [ 1 ]\n        zero_data: true\n      }\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
