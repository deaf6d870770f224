"""Numerical references for the tests: derivatives by finite differences, computed without the
program's code (a landscape's grad and hessian are checked against them)."""
from __future__ import annotations

import numpy as np


def central_difference(f, pos: np.ndarray, h: float) -> np.ndarray:
    """d f / d(x, y) by the fourth-order central difference (f₋₂ − 8f₋₁ + 8f₊₁ − f₊₂)/12h.

    f maps [n, 2] -> [n, ...]; returns [n, 2, ...]. Truncation error ~ h⁴ f⁽⁵⁾ is negligible
    at h = 1e-6 · view, so what is left is rounding, ~ eps |f| / h.
    """
    cols = []
    for k in range(2):
        values = []
        for m in (2, 1, -1, -2):
            p = pos.copy()
            p[:, k] += m * h
            values.append(f(p))
        f2, f1, fm1, fm2 = values
        cols.append(((fm2 - f2) + 8.0 * (f1 - fm1)) / (12.0 * h))
    return np.stack(cols, axis=1)
