"""Eigenvalues of symmetric 2x2 matrices: the one routine every panel uses (closed form,
numerically stable: the root of smaller magnitude is det / the other, never a difference of
nearly equal numbers)."""
from __future__ import annotations

import numpy as np


def sym_eigvals(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h [..., 2, 2] (symmetrized) -> (lam_max [...], lam_min [...]).

    lam = (a + c)/2 +- sqrt(((a - c)/2)^2 + b^2); the smaller-magnitude root is det / the
    larger-magnitude one (no cancellation)."""
    h = np.asarray(h, dtype=np.float64)
    a, b, c = h[..., 0, 0], 0.5 * (h[..., 0, 1] + h[..., 1, 0]), h[..., 1, 1]
    with np.errstate(all="ignore"):
        mean = 0.5 * (a + c)
        rad = np.hypot(0.5 * (a - c), b)
        lam_max = mean + rad
        lam_min = mean - rad
        det = a * c - b * b
        pos_ = (mean > 0) & (lam_max != 0)
        neg_ = (mean < 0) & (lam_min != 0)
        lam_min_fix = np.where(pos_, det / np.where(pos_, lam_max, 1.0), lam_min)
        lam_max = np.where(neg_, det / np.where(neg_, lam_min, 1.0), lam_max)
    return lam_max, lam_min_fix
