"""The local quadratic model of a landscape: its Hessian's eigenvalues and the quadratic itself as a landscape."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from sim.support.eig2 import sym_eigvals
from sim.landscapes.base import Potential


# ================================================================================================
# The quadratic model at a point
# ================================================================================================

def sym_eigs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of one symmetric 2x2 matrix in closed form.

    h [2, 2] -> (lams [2] descending, vecs [2, 2] with vecs[:, i] the unit eigenvector of lams[i]).
    """
    a, b, c = float(h[0, 0]), 0.5 * float(h[0, 1] + h[1, 0]), float(h[1, 1])
    rad = math.hypot(0.5 * (a - c), b)
    lam1, lam2 = (float(v) for v in sym_eigvals(np.array([[a, b], [b, c]])))  # stable (sim/eig2.py)
    if rad == 0.0:
        return np.array([lam1, lam2]), np.eye(2)
    # eigenvector of lam1: (b, lam1 - a) or (lam1 - c, b), whichever is longer (no cancellation)
    v = np.array([b, lam1 - a]) if abs(lam1 - a) >= abs(lam1 - c) else np.array([lam1 - c, b])
    v /= math.hypot(v[0], v[1])
    return np.array([lam1, lam2]), np.column_stack([v, [-v[1], v[0]]])


def model_eigs(potential: Potential, point: Sequence[float]) -> np.ndarray:
    """Hessian eigenvalues [2] (descending) of `potential` at `point` (x, y): the quadratic model."""
    h = potential.hessian(np.asarray(point, dtype=np.float64).reshape(1, 2))[0]
    return sym_eigs(h)[0]


class QuadraticPotential(Potential):
    """V = 1/2 (p - center)^T H (p - center): the quadratic model itself, exact grad and Hessian.

    hessian [2, 2] symmetric; center [2] (world units).
    """

    def __init__(self, hessian: np.ndarray, center: Sequence[float] = (0.0, 0.0),
                 view: tuple[float, float, float, float] = (-4.0, 4.0, -3.0, 3.0)) -> None:
        h = np.asarray(hessian, dtype=np.float64).reshape(2, 2)
        c = np.asarray(center, dtype=np.float64).reshape(2)
        super().__init__(name="quadratic", formula="½(p−c)ᵀH(p−c)", view=view)
        self.h = 0.5 * (h + h.T)
        self.c = c
        lams = sym_eigs(self.h)[0]
        if lams[1] > 0:
            self.minima = c.reshape(1, 2).copy()
            self.minimum_values = np.zeros(1)
        self.bounded_below = bool(lams[1] >= 0)

    def _value(self, x, y):
        dx, dy = x - self.c[0], y - self.c[1]
        h = self.h
        return 0.5 * (h[0, 0] * dx * dx + 2.0 * h[0, 1] * dx * dy + h[1, 1] * dy * dy)

    def _grad(self, x, y):
        dx, dy = x - self.c[0], y - self.c[1]
        h = self.h
        return h[0, 0] * dx + h[0, 1] * dy, h[0, 1] * dx + h[1, 1] * dy

    def _hessian(self, x, y):
        one = np.ones_like(np.asarray(x, dtype=np.float64))
        return self.h[0, 0] * one, self.h[0, 1] * one, self.h[1, 1] * one
