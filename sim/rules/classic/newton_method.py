"""Newton's method with Levenberg's shift: x <- x - lr (H + mu I)^-1 g, H the exact Hessian."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, Reading, RuleSpec
from sim.rules.linear import mat1
from sim.rules.classic.gd import LR

NEWTON_SHIFT_MARGIN = 0.1  # mu = -lam_min + this x max|lam| where H is not > 0
NEWTON_SHIFT_FLOOR = 1e-6  # ... and at least this (a flat Hessian still gets a finite step)


def newton_shift(lam_max: np.ndarray, lam_min: np.ndarray) -> np.ndarray:
    """mu [n] for newton_method: 0 where the Hessian is positive definite (lam_min > 0), else
    -lam_min + NEWTON_SHIFT_MARGIN max(|lam_max|, |lam_min|), at least NEWTON_SHIFT_FLOOR
    (Levenberg's shift: the smallest that makes H + mu I positive definite, plus a margin)."""
    with np.errstate(all="ignore"):
        size = np.maximum(np.abs(lam_max), np.abs(lam_min))
        shift = np.maximum(-lam_min + NEWTON_SHIFT_MARGIN * size, NEWTON_SHIFT_FLOOR)
        return np.where(lam_min > 0, 0.0, shift)


def step_newton_method(r, s, V, rng) -> bool:
    """x <- x - lr (H + mu I)^-1 g with the exact Hessian H and mu = newton_shift (closed-form
    2x2 solve). Newton's law with a position-dependent mass matrix H, overdamped."""
    g = V.grad(s.pos, out=s.tmp)
    h = V.hessian(s.pos)
    a, b, c = h[:, 0, 0], 0.5 * (h[:, 0, 1] + h[:, 1, 0]), h[:, 1, 1]
    with np.errstate(all="ignore"):
        mean = 0.5 * (a + c)
        rad = np.hypot(0.5 * (a - c), b)
        mu = newton_shift(mean + rad, mean - rad)
        a = a + mu
        c = c + mu
        det = a * c - b * b
        gx, gy = g[:, 0].copy(), g[:, 1].copy()
        g[:, 0] = (c * gx - b * gy) / det
        g[:, 1] = (a * gy - b * gx) / det
    g *= r.lr
    s.pos -= g
    return False


def newton_method_map(r, lam):
    """Where the Hessian is positive definite (every eigenvalue > 0, no shift): x <- (1 - lr) x
    along every direction. Along lam <= 0 the step depends on the shift, hence on the other
    eigenvalue too: nan (no map per direction)."""
    lam = np.asarray(lam, dtype=np.float64)
    return mat1(np.where(lam > 0, 1.0 - r.lr + 0.0 * lam, np.nan))


SPEC = RuleSpec(
    name="newton_method", family=Family.NEWTON_METHOD, group="second order", color=(120, 235, 140),
    summary="x -= lr (H + mu I)^-1 g, exact Hessian H; mu = 0 where H > 0 (lr 1 by default)",
    params=(LR,), step=step_newton_method, schedulable=True, chip="nt method", linear_map=newton_method_map,
    reading=lambda r: Reading("Newton's law overdamped with a position-dependent mass matrix "
                              "H + mu I (the curvature): every direction moves at the same pace"),
)
