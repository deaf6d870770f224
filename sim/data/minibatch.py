"""Minibatch gradients (each ball its own examples) and the noise temperature of SGD.

A minibatch is B distinct examples out of n, drawn for every ball independently at every
tick from the world's generator. The minibatch gradient is unbiased, with covariance
C / B * (n - B) / (n - 1), C the per-example gradient covariance (a finite population).
"""
from __future__ import annotations

import numpy as np

FLOYD_MAX_BATCH = 64  # Floyd's algorithm up to this B (cost ~ balls B^2), random keys above
KEYS_CHUNK_CELLS = 1 << 20  # rows per block of the random-key method: about this many cells
DIM = 2


def effective_batch(batch: int, n: int) -> int:
    """0 (full batch) when batch is 0 or reaches n, else batch."""
    return 0 if batch <= 0 or batch >= n else int(batch)


def draw(rng: np.random.Generator, balls: int, n: int, batch: int) -> np.ndarray:
    """[balls, batch] example indices, distinct within each row, each row a uniform random subset
    of range(n), rows independent. Vectorized over balls (no per-ball loop)."""
    if batch <= FLOYD_MAX_BATCH and batch * batch <= 4 * n:
        return _floyd(rng, balls, n, batch)
    return _keys(rng, balls, n, batch)


def _floyd(rng: np.random.Generator, balls: int, n: int, batch: int) -> np.ndarray:
    """R. W. Floyd's subset sampling, one draw per column for all rows at once: for the k-th
    column (j = n - B + k) take t uniform in [0, j]; if the row already holds t, take j."""
    top = np.arange(n - batch + 1, n + 1)[:, None]
    t = np.minimum((rng.random((batch, balls)) * top).astype(np.intp), top - 1)
    for k in range(1, batch):
        col = t[k]
        dup = col == t[0]
        for i in range(1, k):
            dup |= col == t[i]
        col[dup] = n - batch + k
    return t.T


def _keys(rng: np.random.Generator, balls: int, n: int, batch: int) -> np.ndarray:
    """The `batch` smallest of n uniform random keys per row (argpartition), in row blocks."""
    out = np.empty((balls, batch), dtype=np.intp)
    rows = max(1, KEYS_CHUNK_CELLS // n)
    for i in range(0, balls, rows):
        keys = rng.random((min(rows, balls - i), n))
        out[i : i + rows] = np.argpartition(keys, batch - 1, axis=1)[:, :batch]
    return out


class MinibatchField:
    """What a rule sees as its potential when the world trains on minibatches: `grad` draws a
    fresh minibatch per ball (from `rng`) and returns the minibatch mean; `value` is the full
    loss, and `hessian` the full-data one."""

    def __init__(self, potential, batch: int, rng: np.random.Generator) -> None:
        self.potential = potential
        self.batch = int(batch)
        self.rng = rng

    def value(self, pos: np.ndarray) -> np.ndarray:
        return self.potential.value(pos)

    def hessian(self, pos: np.ndarray) -> np.ndarray:
        """The full-data Hessian [m, 2, 2] (newton_method on minibatches: a stochastic gradient
        with the exact curvature)."""
        return self.potential.hessian(pos)

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Minibatch gradient per ball: pos [m, 2] -> [m, 2] (into `out`; may alias pos)."""
        idx = draw(self.rng, len(pos), self.potential.data.n, self.batch)
        with np.errstate(all="ignore"):
            return self.potential.minibatch_grad(pos, idx, out)


def gradient_covariance(potential, p: np.ndarray) -> np.ndarray:
    """C [2, 2]: the covariance over the n examples of their gradients at position p [2]
    (population covariance, 1/n), computed exactly from every example."""
    g = potential.example_grads(np.asarray(p, dtype=np.float64))
    d = g - g.mean(axis=0)
    return d.T @ d / len(g)


def finite_population(n: int, batch: int) -> float:
    """(n - B) / (n - 1): how much sampling without replacement shrinks the variance (0 for B = n)."""
    if n <= 1:
        return 0.0
    b = n if batch <= 0 else min(int(batch), n)
    return (n - b) / (n - 1)


def noise_temperature(potential, p: np.ndarray, lr: float, batch: int) -> dict[str, float]:
    """SGD's effective temperature at position p [2]: T_eff = lr tr(C) / (2 d B) (n-B)/(n-1),
    d = 2. Returns T_eff with its parts (C's entries, trace, the factor, B, n). Full batch: 0."""
    n = potential.data.n
    b = effective_batch(batch, n)
    c = gradient_covariance(potential, p)
    factor = finite_population(n, b) if b else 0.0
    tr = float(np.trace(c))
    t_eff = lr * tr / (2.0 * DIM * b) * factor if b else 0.0
    return {"t_eff": t_eff, "trace": tr, "cxx": float(c[0, 0]), "cxy": float(c[0, 1]),
            "cyy": float(c[1, 1]), "factor": factor, "batch": float(b), "n": float(n), "lr": float(lr)}
