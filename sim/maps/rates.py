"""Exact one-step maps of the rules on a quadratic: convergence rate over a hyperparameter plane.

On V = 1/2 (x - c)^T H (x - c) every rule below is linear, and along each eigen-direction of H
(eigenvalue lam, 1/time^2 per unit mass) its state (position, velocity or momentum buffer)
advances by a 2x2 matrix M. The error shrinks per tick like the spectral radius rho(M), the
larger modulus of the roots of z^2 - T z + D (T = trace, D = det). Everything here is closed
form and vectorized over grids of parameters and eigenvalues (no np.linalg per pixel).

One tick, along one eigen-direction, a = lr lam:
- gd:        x <- (1 - a) x                                  T = 1 - a,              D = 0
- momentum:  u <- beta u + lam x; x <- x - lr u  (torch SGD)  T = 1 + beta - a,       D = beta
- nesterov:  u <- beta u + g; x <- x - lr (g + beta u)        T = (1 + beta)(1 - a),  D = beta (1 - a)
- newton, state (x, v), c = friction dt / m, w2 = dt^2 lam / m:
    symplectic (semi-implicit Euler)  T = 2 - c - w2,           D = 1 - c
    euler (explicit)                  T = 2 - c,                D = 1 - c + w2
    verlet (BAOAB without noise)      T = (1 + c1)(1 - w2 / 2), D = c1,  c1 = exp(-c)
  (langevin's noise-free skeleton is verlet.)

The optimizer plane is (lr, beta); gd is its beta = 0 row. The newton plane is (dt, friction)
at the rule's mass. Rates are per tick; "steps" counts ticks.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from sim.rules.dynamics import Rule
from sim.rules import linear


# --- constants ---------------------------------------------------------------------------------
SHRINK = 1000.0  # "steps to shrink the error SHRINK times"
LIMIT_SCAN = 128  # coarse scan points before bisection in stable_limit
LIMIT_BISECT = 44
STABLE_TOL = 1e-12  # rate <= 1 + STABLE_TOL counts as stable (frictionless: exactly 1)

OPTIMIZER_PLANES = ("gd", "momentum", "nesterov")
NEWTON_PLANES = ("verlet", "symplectic", "euler")


# ================================================================================================
# Trace, determinant and spectral radius of the one-step map
# ================================================================================================

def plane_kind(rule: Rule) -> str | None:
    """Which plane shows `rule` (its RuleSpec.plane): 'momentum' (gd, momentum), 'nesterov', or
    the newton integrator's name ('verlet' for langevin); None: the rule has no plane."""
    p = rule.spec.plane
    if p == "newton":
        return "verlet" if rule.name == "langevin" else rule.integrator
    return p


def trace_det(kind: str, p1: np.ndarray, p2: np.ndarray, lam: np.ndarray,
              mass: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) of the one-step map along an eigen-direction, broadcast over p1, p2, lam.

    kind: 'gd' (p1 = lr; p2 ignored), 'momentum' / 'nesterov' (p1 = lr, p2 = beta), or a newton
    integrator 'verlet' / 'symplectic' / 'euler' (p1 = dt, p2 = friction, at `mass`).
    """
    p1, p2, lam = (np.asarray(v, dtype=np.float64) for v in (p1, p2, lam))
    shape = np.broadcast(p1, p2, lam).shape
    full = lambda v: np.broadcast_to(v, shape)  # noqa: E731
    with np.errstate(all="ignore"):
        if kind in OPTIMIZER_PLANES:
            a = p1 * lam
            if kind == "gd":
                return full(1.0 - a), np.zeros(shape)
            if kind == "momentum":
                return full(1.0 + p2 - a), full(p2)
            return full((1.0 + p2) * (1.0 - a)), full(p2 * (1.0 - a))
        c = p2 * p1 / mass
        w2 = p1 * p1 * lam / mass
        if kind == "symplectic":
            return full(2.0 - c - w2), full(1.0 - c)
        if kind == "euler":
            return full(2.0 - c), full(1.0 - c + w2)
        if kind == "verlet":
            c1 = np.exp(-c)
            return full((1.0 + c1) * (1.0 - 0.5 * w2)), full(c1)
    raise ValueError(f"unknown map '{kind}'; choose one of: "
                     f"{', '.join(OPTIMIZER_PLANES + NEWTON_PLANES)}")


def spectral_radius(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Larger root modulus of z^2 - t z + d (real t, d), elementwise, in closed form.

    Real roots (t^2 >= 4d): (|t| + sqrt(t^2 - 4d)) / 2; complex roots: sqrt(d).
    """
    t, d = np.asarray(t, dtype=np.float64), np.asarray(d, dtype=np.float64)
    with np.errstate(all="ignore"):
        disc = t * t - 4.0 * d
        real = disc >= 0.0
        return np.where(real, 0.5 * (np.abs(t) + np.sqrt(np.where(real, disc, 0.0))),
                        np.sqrt(np.abs(d)))


def rate_grid(kind: str, p1: np.ndarray, p2: np.ndarray, lams: Sequence[float],
              mass: float = 1.0) -> np.ndarray:
    """Spectral radius worst over `lams`, on the grid p1 [w] x p2 [h] -> [w, h] (p1 first, as
    pygame.surfarray wants). nan never appears: an overflow counts as unstable (inf)."""
    p1 = np.asarray(p1, dtype=np.float64)[:, None]
    p2 = np.asarray(p2, dtype=np.float64)[None, :]
    worst = np.zeros((p1.shape[0], p2.shape[1]))
    for lam in np.asarray(lams, dtype=np.float64).reshape(-1):
        r = spectral_radius(*trace_det(kind, p1, p2, lam, mass))
        worst = np.maximum(worst, np.where(np.isnan(r), np.inf, r))
    return worst


def rate_at(kind: str, p1: float, p2: float, lams: Sequence[float], mass: float = 1.0) -> float:
    """The worst spectral radius over `lams` at one setting (p1, p2)."""
    return float(rate_grid(kind, [p1], [p2], lams, mass)[0, 0])


def rule_setting(rule: Rule) -> tuple[str | None, float, float, float]:
    """(kind, p1, p2, mass): where `rule` sits in its plane (gd: beta = 0 of the momentum
    plane); kind None (and nan) for a rule without a plane."""
    kind = plane_kind(rule)
    if kind is None:
        return None, math.nan, math.nan, 1.0
    if kind in NEWTON_PLANES:
        return kind, rule.dt, rule.friction, rule.mass
    return kind, rule.lr, (rule.beta if rule.name != "gd" else 0.0), 1.0


def rule_rate(rule: Rule, lams: Sequence[float]) -> float:
    """Rate per tick of `rule` at its own setting on the quadratic with eigenvalues `lams`, the
    spectral radius of its RuleSpec.linear_map; nan where it has none (adaptive rules,
    nesterov_ode: no constant rate)."""
    return linear.rate(rule, lams)


def _plane_rule(rule: Rule) -> Rule:
    """The rule whose map the plane draws: gd is momentum's beta = 0 row."""
    return rule.with_(name="momentum", beta=0.0) if rule.name == "gd" else rule


def plane_rates(rule: Rule, axes: tuple[str, str], p1: np.ndarray, p2: np.ndarray,
                lams: Sequence[float]) -> np.ndarray:
    """Worst exact rate over `lams` of the rule's own linear map with its parameters `axes`
    set to p1 [w] x p2 [h] -> [w, h] (inf where not finite)."""
    base = _plane_rule(rule)
    grid = linear.ParamGrid(base, **{axes[0]: np.asarray(p1, dtype=np.float64)[:, None],
                                     axes[1]: np.asarray(p2, dtype=np.float64)[None, :]})
    worst = np.zeros((len(np.atleast_1d(p1)), len(np.atleast_1d(p2))))
    for lam in np.asarray(lams, dtype=np.float64).reshape(-1):
        r = linear.radius(linear.one_step(grid, lam))
        worst = np.maximum(worst, np.broadcast_to(r, worst.shape))
    return worst


def steps_to_shrink(rho: np.ndarray | float, factor: float = SHRINK) -> np.ndarray:
    """Ticks for the error to shrink `factor` times at rate rho per tick: ln(factor) / -ln(rho).

    inf where rho >= 1 (never), 1 where rho == 0 (one step lands on the minimum).
    """
    r = np.asarray(rho, dtype=np.float64)
    with np.errstate(all="ignore"):
        n = math.log(factor) / -np.log(r)
    n = np.where(r >= 1.0, np.inf, np.where(r <= 0.0, 1.0, n))
    return n if n.ndim else float(n)


# ================================================================================================
# Borders, critical damping, optimum
# ================================================================================================

def stable_limit(kind: str, p2: np.ndarray, lams: Sequence[float], hi: float,
                 mass: float = 1.0) -> np.ndarray:
    """Largest stable p1 in (0, hi] for each p2 [h] (the stable region's border; nan where none).

    Closed forms where they exist, L = max(lams) (all lams >= 0): gd / momentum 2(1 + beta)/L,
    nesterov 2(1 + beta)/((1 + 2 beta) L), verlet 2 sqrt(m/L) (any friction), symplectic
    min((sqrt(f^2 + 4 L m) - f)/L, 2m/f); explicit euler (and any negative lam) by
    `stable_limit_scan`. Clipped to hi.
    """
    p2 = np.asarray(p2, dtype=np.float64).reshape(-1)
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    big = float(lam.max())
    if kind == "euler" or not (lam.min() >= 0 and big > 0 and math.isfinite(big)):
        return stable_limit_scan(kind, p2, lams, hi, mass)
    with np.errstate(all="ignore"):
        if kind in ("gd", "momentum"):
            lim = 2.0 * (1.0 + (p2 if kind == "momentum" else 0.0 * p2)) / big
        elif kind == "nesterov":
            lim = 2.0 * (1.0 + p2) / ((1.0 + 2.0 * p2) * big)
        elif kind == "verlet":
            lim = np.full(p2.shape, 2.0 * math.sqrt(mass / big))
        elif kind == "symplectic":
            lim = np.minimum((np.sqrt(p2 * p2 + 4.0 * big * mass) - p2) / big,
                             np.where(p2 > 0, 2.0 * mass / np.where(p2 > 0, p2, 1.0), np.inf))
        else:
            raise ValueError(f"unknown map '{kind}'")
    return np.minimum(lim, hi)


def stable_limit_scan(kind: str, p2: np.ndarray, lams: Sequence[float], hi: float,
                      mass: float = 1.0) -> np.ndarray:
    """Largest stable p1 in (0, hi] for each p2 [h], for any map, found by a scan of LIMIT_SCAN
    points and bisection of the last stable -> unstable step (stable: rate
    <= 1 + STABLE_TOL, so a frictionless orbit counts); nan where no p1 is stable, hi where all are."""
    p2 = np.asarray(p2, dtype=np.float64).reshape(-1)
    ps = hi * (np.arange(1, LIMIT_SCAN + 1) / LIMIT_SCAN)
    stable = rate_grid(kind, ps, p2, lams, mass) <= 1.0 + STABLE_TOL  # [scan, h]
    out = np.full(len(p2), np.nan)
    anyst = stable.any(axis=0)
    last = LIMIT_SCAN - 1 - np.argmax(stable[::-1], axis=0)  # last stable scan index per column
    out[anyst & (last == LIMIT_SCAN - 1)] = hi
    todo = np.flatnonzero(anyst & (last < LIMIT_SCAN - 1))
    if len(todo):
        lo, up = ps[last[todo]], ps[last[todo] + 1]
        q2 = p2[todo]
        for _ in range(LIMIT_BISECT):
            mid = 0.5 * (lo + up)
            ok = _rate_pairs(kind, mid, q2, lams, mass) <= 1.0 + STABLE_TOL
            lo, up = np.where(ok, mid, lo), np.where(ok, up, mid)
        out[todo] = lo
    return out


def _rate_pairs(kind: str, p1: np.ndarray, p2: np.ndarray, lams: Sequence[float],
                mass: float) -> np.ndarray:
    """Worst rate at matched pairs (p1[i], p2[i]) -> [k]."""
    worst = np.zeros(len(p1))
    for lam in np.asarray(lams, dtype=np.float64).reshape(-1):
        r = spectral_radius(*trace_det(kind, p1, p2, lam, mass))
        worst = np.maximum(worst, np.where(np.isnan(r), np.inf, r))
    return worst


def critical_curve(kind: str, p1: np.ndarray, lam: float, mass: float = 1.0) -> np.ndarray:
    """p2 [w] where the map along eigenvalue lam is critically damped (double root), per p1 [w].

    momentum: beta = (1 - sqrt(lr lam))^2 (for lr lam <= 4); nesterov: beta = (1 - sqrt(a)) /
    (1 + sqrt(a)), a = lr lam <= 1; newton: the friction with T^2 = 4D (euler: 2 m omega;
    symplectic: (m/dt)(2 omega dt - (omega dt)^2); verlet: -(2m/dt) ln s, s = (1 - sqrt(1 -
    q^2)) / q, q = |1 - (omega dt)^2 / 2|). nan where no such p2 exists.
    """
    p1 = np.asarray(p1, dtype=np.float64)
    nan = np.full(p1.shape, np.nan)
    if not lam > 0:
        return nan
    with np.errstate(all="ignore"):
        if kind in ("momentum", "gd"):
            a = p1 * lam
            return np.where(a <= 4.0, (1.0 - np.sqrt(a)) ** 2, np.nan)
        if kind == "nesterov":
            s = np.sqrt(p1 * lam)
            return np.where(s <= 1.0, (1.0 - s) / (1.0 + s), np.nan)
        od = p1 * math.sqrt(lam / mass)  # omega dt
        if kind == "euler":
            return np.full(p1.shape, 2.0 * math.sqrt(mass * lam))
        if kind == "symplectic":
            c = 2.0 * od - od * od
            return np.where(c >= 0.0, c * mass / p1, np.nan)
        if kind == "verlet":
            q = np.abs(1.0 - 0.5 * od * od)
            s = np.where(q > 0, (1.0 - np.sqrt(np.clip(1.0 - q * q, 0.0, None))) / q, 0.0)
            return np.where((od < 2.0) & (s > 0), -2.0 * mass * np.log(s) / p1, np.nan)
    raise ValueError(f"unknown map '{kind}'")
