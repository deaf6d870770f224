"""The curvature the instruments read: the Hessian's eigenvalues, the largest over the balls."""
from __future__ import annotations

import numpy as np

from sim.support.eig2 import sym_eigvals
from sim.core.particles import ALIVE
from sim.core.world import World


# --- constants ---------------------------------------------------------------------------------
LAM_SAMPLE = 4096  # balls whose curvature bounds a step (the mass control, flow partners)


def lam_max(world: World, at: np.ndarray | None = None) -> float:
    """Largest Hessian eigenvalue at the known minima and at `at` [k, 2] (default: a sample
    of the alive balls): the curvature a path from there is expected to meet."""
    w = world
    if at is None:
        p = w.particles
        rows = np.flatnonzero(p.status == ALIVE)
        at = p.pos[rows[:: max(1, len(rows) // LAM_SAMPLE)]]
    pts = np.concatenate([np.asarray(w.potential.minima, float).reshape(-1, 2),
                          np.asarray(at, float).reshape(-1, 2)])
    if not len(pts):
        return float("nan")
    lam, _ = hessian_eigs(w.potential.hessian(pts))
    lam = lam[np.isfinite(lam)]
    return float(lam.max()) if len(lam) else float("nan")


# ================================================================================================
# Stability
# ================================================================================================

def hessian_eigs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of symmetric 2x2 matrices h [n, 2, 2]: (lam_max [n], lam_min [n]), by the
    one stable routine every panel uses (sim/eig2.py)."""
    return sym_eigvals(h)
