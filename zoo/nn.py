"""Minimal numpy neural-network toolkit for the model zoo.

Only what the five zoo models need: dense layers that work on any number of
leading dimensions, ReLU, sigmoid, binary cross-entropy, and Adam. Every layer
caches what its backward pass needs during forward; gradients accumulate in
`Param.grad` until `Adam.step()` consumes and clears them.

Everything is float32 and runs in a fixed order, so with a single BLAS thread
(zoo/train.sh sets OPENBLAS_NUM_THREADS=1) training is bit-for-bit
reproducible on a given machine.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32


def generator(seed: int) -> np.random.Generator:
    """PCG64 generator; every random number in the zoo comes from one of these."""
    return np.random.Generator(np.random.PCG64(seed))


class Param:
    def __init__(self, name: str, value: np.ndarray) -> None:
        self.name = name
        self.value = np.ascontiguousarray(value, dtype=F32)
        self.grad = np.zeros_like(self.value)
        self.m = np.zeros_like(self.value)
        self.v = np.zeros_like(self.value)


class Linear:
    """y = x @ W + b on the last axis of x (any leading shape). W is [n_in, n_out]."""

    def __init__(self, rng: np.random.Generator, n_in: int, n_out: int, name: str, gain: float = 2.0) -> None:
        limit = math.sqrt(3.0 * gain / n_in)  # He-uniform for gain 2 (ReLU), Glorot-like for gain 1
        self.n_in, self.n_out = n_in, n_out
        self.W = Param(f"{name}.weight", (rng.random((n_in, n_out)) * 2.0 - 1.0) * limit)
        self.b = Param(f"{name}.bias", np.zeros(n_out))
        self.name = name
        self._x: np.ndarray | None = None

    def params(self) -> list[Param]:
        return [self.W, self.b]

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        lead = x.shape[:-1]
        return (x.reshape(-1, self.n_in) @ self.W.value + self.b.value).reshape(*lead, self.n_out)

    def backward(self, g: np.ndarray) -> np.ndarray:
        assert self._x is not None
        x2 = self._x.reshape(-1, self.n_in)
        g2 = g.reshape(-1, self.n_out)
        self.W.grad += x2.T @ g2
        self.b.grad += g2.sum(axis=0)
        self._x = None
        return (g2 @ self.W.value.T).reshape(*g.shape[:-1], self.n_in)


class ReLU:
    def __init__(self) -> None:
        self._pos: np.ndarray | None = None

    def params(self) -> list[Param]:
        return []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._pos = x > 0
        return np.where(self._pos, x, F32(0.0))

    def backward(self, g: np.ndarray) -> np.ndarray:
        assert self._pos is not None
        out = np.where(self._pos, g, F32(0.0))
        self._pos = None
        return out


class MLP:
    """Linear (+ReLU) stack; no activation after the last layer."""

    def __init__(self, rng: np.random.Generator, sizes: list[int], name: str) -> None:
        self.layers: list[Linear | ReLU] = []
        self.linears: list[Linear] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            lin = Linear(rng, a, b, f"{name}.{i}", gain=1.0 if last else 2.0)
            self.layers.append(lin)
            self.linears.append(lin)
            if not last:
                self.layers.append(ReLU())

    def params(self) -> list[Param]:
        return [p for layer in self.layers for p in layer.params()]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, g: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return g

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(lin.W.value, lin.b.value) for lin in self.linears]


def sigmoid(x: np.ndarray) -> np.ndarray:
    # Split by sign so exp never overflows.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def bce_with_logits(logits: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy and its gradient with respect to the logits."""
    p = sigmoid(logits)
    loss_terms = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    w = np.ones_like(logits) if weights is None else weights
    norm = F32(w.sum())
    loss = float((loss_terms * w).sum() / norm)
    grad = ((p - labels) * w / norm).astype(F32)
    return loss, grad


class Adam:
    """Adam with an optional cosine learning-rate decay over `total_steps`."""

    def __init__(
        self,
        params: list[Param],
        lr: float,
        total_steps: int,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        final_lr_fraction: float = 0.05,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = params
        self.lr0 = lr
        self.total = max(total_steps, 1)
        self.b1, self.b2, self.eps = beta1, beta2, eps
        self.final = final_lr_fraction
        self.wd = weight_decay
        self.t = 0

    def lr(self) -> float:
        frac = min(self.t / self.total, 1.0)
        return self.lr0 * (self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * frac)))

    def step(self) -> None:
        lr = self.lr()
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        for p in self.params:
            g = p.grad
            if self.wd:
                g = g + F32(self.wd) * p.value
            p.m *= F32(self.b1)
            p.m += F32(1.0 - self.b1) * g
            p.v *= F32(self.b2)
            p.v += F32(1.0 - self.b2) * g * g
            step = F32(lr / c1) * p.m / (np.sqrt(p.v / F32(c2)) + F32(self.eps))
            p.value -= step.astype(F32)
            p.grad[...] = 0.0


def minibatches(rng: np.random.Generator, n: int, batch: int) -> list[np.ndarray]:
    """A fresh permutation of range(n), cut into batches (the last one may be short)."""
    order = rng.permutation(n)
    return [order[i : i + batch] for i in range(0, n, batch)]
