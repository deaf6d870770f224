"""The facts a rule's one-step map gives on a quadratic, computed from `RuleSpec.linear_map`
alone: the map's matrix, its spectral radius (the exact rate per tick), stability and the
largest stable curvature. Every instrument asks these; none keeps its own copy of a map.

A linear_map(r, lam) broadcasts: lam, and any parameter read through `r` (see `ParamGrid`),
may be arrays; it returns [..., k, k] (k = 1 or 2 here; any k works).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

STABLE_TOL = 1e-12  # rate <= 1 + STABLE_TOL counts as stable (frictionless: exactly 1)
LIMIT_DOUBLINGS = 200
LIMIT_BISECT = 80


def mat2(a: Any, b: Any, c: Any, d: Any) -> np.ndarray:
    """[[a, b], [c, d]] broadcast over the entries' shapes -> [..., 2, 2]."""
    a, b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, d)))
    return np.stack([np.stack([a, b], -1), np.stack([c, d], -1)], -2)


def mat1(a: Any) -> np.ndarray:
    """[[a]] -> [..., 1, 1]."""
    return np.asarray(a, dtype=np.float64)[..., None, None]


class ParamGrid:
    """A rule seen with some parameters replaced by arrays (a plane's axes): attribute and
    `opt` reads give the array where one is given, else the rule's own value."""

    def __init__(self, rule: Any, **arrays: Any) -> None:
        self._rule = rule
        self._arrays = arrays
        self.name = rule.name

    def opt(self, key: str) -> Any:
        return self._arrays[key] if key in self._arrays else self._rule.opt(key)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        arrays = self.__dict__.get("_arrays", {})
        return arrays[key] if key in arrays else getattr(self._rule, key)


def one_step(rule: Any, lam: Any) -> np.ndarray | None:
    """The rule's one-step matrix along curvature lam ([..., k, k]); None: the rule has none."""
    spec = rule.spec if not isinstance(rule, ParamGrid) else rule._rule.spec
    with np.errstate(all="ignore"):
        return spec.linear_map(rule, np.asarray(lam, dtype=np.float64))


def has_map(rule: Any) -> bool:
    return one_step(rule, 1.0) is not None


def radius(m: np.ndarray) -> np.ndarray:
    """Spectral radius of each matrix in m [..., k, k] -> [...]; inf where not finite.

    k = 1: |m|; k = 2: from trace and determinant in closed form (complex roots: sqrt|det|;
    real: (|t| + sqrt(t^2 - 4d)) / 2); larger k: numpy's eigenvalues."""
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(all="ignore"):
        if m.shape[-1] == 1:
            r = np.abs(m[..., 0, 0])
        elif m.shape[-1] == 2:
            t = m[..., 0, 0] + m[..., 1, 1]
            d = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
            disc = t * t - 4.0 * d
            real = disc >= 0.0
            r = np.where(real, 0.5 * (np.abs(t) + np.sqrt(np.where(real, disc, 0.0))),
                         np.sqrt(np.abs(d)))
        else:
            finite = np.isfinite(m).all(axis=(-1, -2))
            safe = np.where(finite[..., None, None], m, 0.0)
            r = np.where(finite, np.abs(np.linalg.eigvals(safe)).max(axis=-1), np.inf)
    return np.where(np.isnan(r), np.inf, r)


def trace_det(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) of 1x1 or 2x2 maps (the characteristic polynomial z^2 - T z + D; 1x1: D = 0)."""
    if m.shape[-1] == 1:
        return m[..., 0, 0], np.zeros(m.shape[:-2])
    return (m[..., 0, 0] + m[..., 1, 1],
            m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0])


def rate(rule: Any, lams: Any) -> float:
    """The worst exact rate per tick over the curvatures `lams`; nan where the rule has no
    linear map (adaptive, time-dependent) or no curvature is given."""
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    m = one_step(rule, lam)
    if m is None or not len(lam):
        return math.nan
    return float(np.max(radius(m)))


def rates(rule: Any, lam: Any) -> np.ndarray | None:
    """Rate per tick along each curvature lam [...] (None: no linear map)."""
    m = one_step(rule, lam)
    return None if m is None else radius(m)


def curvature_limit(rule: Any) -> float:
    """The largest curvature lam > 0 on which the map is still stable (found by doubling, then
    bisection on the exact rate): gd 2/lr, momentum 2(1+beta)/lr, verlet 4m/dt^2, ...; inf
    when no curvature breaks it, nan without a linear map."""
    if not has_map(rule):
        return math.nan

    def stable(lam: float) -> bool:
        return rate(rule, [lam]) <= 1.0 + STABLE_TOL

    lo, hi = 0.0, 1.0
    for _ in range(LIMIT_DOUBLINGS):
        if not stable(hi):
            break
        lo, hi = hi, 2.0 * hi
    else:
        return math.inf
    for _ in range(LIMIT_BISECT):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return lo
