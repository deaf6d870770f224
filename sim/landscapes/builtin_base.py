"""What every built-in landscape shares: vectorized value/gradient/Hessian in blocks, the minima polished by Newton."""
from __future__ import annotations

import numpy as np

from sim.landscapes.base import Potential


NEWTON_STEPS = 30  # at most this many Newton steps polish the listed minima at import time
CHUNK = 8192  # rows per block in value/grad: keeps the temporaries in L2 cache (~2x faster at 1e6)

TWO_PI = 2.0 * np.pi


class BuiltinPotential(Potential):
    """A `Potential` whose `value` and `grad` run block by block over the rows.

    Same contract as `Potential.value` / `Potential.grad`; evaluating CHUNK rows at a time
    keeps every temporary of `_grad` in cache, which halves the time for large n.
    """

    def value(self, pos: np.ndarray) -> np.ndarray:
        """V at each position: pos [n, 2] -> [n]."""
        pos = np.asarray(pos, dtype=np.float64)
        out = np.empty(len(pos))
        with np.errstate(all="ignore"):
            for i in range(0, len(pos), CHUNK):
                block = pos[i : i + CHUNK]
                out[i : i + CHUNK] = self._value(block[:, 0], block[:, 1])
        return out

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Exact gradient: pos [n, 2] -> [n, 2] (written into `out` when given)."""
        pos = np.asarray(pos, dtype=np.float64)
        if out is None:
            out = np.empty_like(pos)
        with np.errstate(all="ignore"):
            for i in range(0, len(pos), CHUNK):
                block = pos[i : i + CHUNK]
                gx, gy = self._grad(block[:, 0], block[:, 1])
                out[i : i + CHUNK, 0] = gx  # pos may alias out: gx, gy never alias pos
                out[i : i + CHUNK, 1] = gy
        return out


# ----------------------------------------------------------------------------------------
# Minima and the registry
# ----------------------------------------------------------------------------------------
def refine_stationary(pot: Potential, points: np.ndarray, steps: int = NEWTON_STEPS) -> np.ndarray:
    """Polish approximate stationary points by Newton's method: points [k, 2] -> [k, 2].

    A point whose Hessian is singular (e.g. on the mexican_hat ring) is left where it is.
    """
    p = np.array(points, dtype=np.float64).reshape(-1, 2)
    for _ in range(steps):
        g = pot.grad(p)
        h = pot.hessian(p)
        det = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0]
        ok = np.abs(det) > 1e-12 * (np.abs(h).max(axis=(1, 2)) ** 2 + 1e-300)
        safe = np.where(ok, det, 1.0)
        sx = (h[:, 1, 1] * g[:, 0] - h[:, 0, 1] * g[:, 1]) / safe
        sy = (h[:, 0, 0] * g[:, 1] - h[:, 1, 0] * g[:, 0]) / safe
        step = np.column_stack([np.where(ok, sx, 0.0), np.where(ok, sy, 0.0)])
        p -= step
        if np.all(np.abs(step) <= 1e-15 * (1.0 + np.abs(p))):
            break
    return p


def make_builtin(pot: Potential, approx_minima=()) -> Potential:
    """Refine `approx_minima` on `pot`, store them and their values (read-only), return `pot`."""
    pts = np.asarray(approx_minima, dtype=np.float64).reshape(-1, 2)
    minima = refine_stationary(pot, pts) if len(pts) else pts
    values = pot.value(minima)
    minima.flags.writeable = False
    values.flags.writeable = False
    pot.minima = minima
    pot.minimum_values = values
    return pot
