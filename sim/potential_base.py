"""The interface every landscape implements (built-in or parsed from a formula).

Positions are float64 arrays of shape [n, 2] (columns x, y) in world units.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

View = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax), world units


@dataclass
class Potential:
    """A landscape V(x, y) with an exact gradient and Hessian.

    Subclasses override `_value`, `_grad` and `_hessian`, which receive the x and y columns
    (each shape [n]) and return V [n], (dV/dx, dV/dy) and (Vxx, Vxy, Vyy).
    """

    name: str
    formula: str
    view: View
    minima: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # [k, 2] known minima
    minimum_values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [k] V at each minimum
    log_scale: bool = False  # shade the map on a log scale (huge dynamic range)
    bounded_below: bool = True
    partial: bool = False  # V may be nan/inf at finite points (log, sqrt, /): checked every tick

    # -- public, vectorized -------------------------------------------------------------
    def value(self, pos: np.ndarray) -> np.ndarray:
        """V at each position: pos [n, 2] -> [n]."""
        pos = np.asarray(pos, dtype=np.float64)
        with np.errstate(all="ignore"):
            return np.asarray(self._value(pos[:, 0], pos[:, 1]), dtype=np.float64) * np.ones(len(pos))

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Exact gradient: pos [n, 2] -> [n, 2] (written into `out` when given)."""
        pos = np.asarray(pos, dtype=np.float64)
        if out is None:
            out = np.empty_like(pos)
        with np.errstate(all="ignore"):
            gx, gy = self._grad(pos[:, 0], pos[:, 1])
            out[:, 0] = gx
            out[:, 1] = gy
        return out

    def hessian(self, pos: np.ndarray) -> np.ndarray:
        """Exact Hessian: pos [n, 2] -> [n, 2, 2]."""
        pos = np.asarray(pos, dtype=np.float64)
        out = np.empty((len(pos), 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self._hessian(pos[:, 0], pos[:, 1])
            out[:, 0, 0] = hxx
            out[:, 0, 1] = hxy
            out[:, 1, 0] = hxy
            out[:, 1, 1] = hyy
        return out

    def value_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """V on a grid, x first (indexing="ij", as pygame.surfarray wants): xs [w], ys [h] -> [w, h]."""
        gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
        with np.errstate(all="ignore"):
            v = self._value(gx, gy)
        return np.broadcast_to(np.asarray(v, dtype=np.float64), gx.shape).copy()

    # -- for subclasses ------------------------------------------------------------------
    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError
