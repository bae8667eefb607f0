"""Toy continuously read-out detector channels: a drifting pedestal, noise and broad pulses.

Physics
-------
A photodetector or calorimeter channel digitised without a trigger (as in
streaming readouts, or the strain channels that LIGO's low-latency pipelines
stream to stateful models) is read in chunks of CHUNK samples. Its pedestal
(baseline) is not fixed: it starts anywhere in 50-250 ADC counts and drifts
from chunk to chunk as a random walk (0.6 counts per chunk) plus a slow
temperature-like oscillation (5-20 counts, period 200-800 chunks), far more
than the pulses are tall. Each channel has its own Gaussian noise (1.5-3
counts per sample). 30 % of the chunks carry a pulse: Gaussian in time, as
wide as 4-14 samples (so a pulse often fills the chunk), with a log-uniform
amplitude of 2-30 counts.

A pulse can only be told apart from a pedestal shift by remembering where the
pedestal was before the chunk: that memory is the stateful model's implicit
state. Labels: 1 when the chunk holds a pulse.
"""

from __future__ import annotations

import numpy as np

CHUNK = 16
PULSE_FRACTION = 0.3

TRAIN_SEED = 57_000_001
HELDOUT_SEED = 57_999_001


def generate(n_streams: int, n_chunks: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> (samples float32 [streams, chunks, CHUNK], labels bool [streams, chunks], true pedestal float32 [streams, chunks])."""
    rng = np.random.Generator(np.random.PCG64(seed))
    start = rng.uniform(50.0, 250.0, n_streams)
    walk = np.cumsum(rng.normal(0.0, 0.6, (n_streams, n_chunks)), axis=1)
    amplitude = rng.uniform(5.0, 20.0, n_streams)
    period = rng.uniform(200.0, 800.0, n_streams)
    phase = rng.uniform(0.0, 2.0 * np.pi, n_streams)
    t = np.arange(n_chunks)
    pedestal = start[:, None] + walk + amplitude[:, None] * np.sin(2.0 * np.pi * t[None, :] / period[:, None] + phase[:, None])
    sigma = rng.uniform(1.5, 3.0, n_streams)
    samples = pedestal[:, :, None] + rng.normal(0.0, 1.0, (n_streams, n_chunks, CHUNK)) * sigma[:, None, None]
    pulsed = rng.random((n_streams, n_chunks)) < PULSE_FRACTION
    height = np.exp(rng.uniform(np.log(2.0), np.log(30.0), (n_streams, n_chunks)))
    width = rng.uniform(4.0, 14.0, (n_streams, n_chunks))
    centre = rng.uniform(0.0, CHUNK, (n_streams, n_chunks))
    s = np.arange(CHUNK)
    pulse = height[:, :, None] * np.exp(-0.5 * ((s[None, None, :] - centre[:, :, None]) / width[:, :, None]) ** 2)
    samples = samples + pulse * pulsed[:, :, None]
    return samples.astype(np.float32), pulsed, pedestal.astype(np.float32)
