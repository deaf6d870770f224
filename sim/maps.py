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
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.dynamics import Rule
from sim.eig2 import sym_eigvals
from sim.rules import linear
from sim.potential_base import Potential

# --- constants ---------------------------------------------------------------------------------
SHRINK = 1000.0  # "steps to shrink the error SHRINK times"
PLANE_SIZE = (96, 64)  # default (p1, p2) grid of a plane
LR_SPAN = 2.2  # the lr axis runs to LR_SPAN x 2/lam_max (momentum's limit at beta -> 1 is 4/lam_max)
BETA_MAX = 0.995  # the beta axis runs over [0, BETA_MAX]
DT_SPAN = 1.6  # the dt axis runs to DT_SPAN x 2/omega_max (Verlet's limit is 2/omega)
FRICTION_SPAN = 4.0  # the friction axis runs to FRICTION_SPAN x sqrt(m lam_max)
LIMIT_SCAN = 128  # coarse scan points before bisection in stable_limit
LIMIT_BISECT = 44
STABLE_TOL = 1e-12  # rate <= 1 + STABLE_TOL counts as stable (frictionless: exactly 1)
ZOOM_GRID = 48  # numeric optimum: grid per side per zoom round
ZOOM_ROUNDS = 10
ZOOM_KEEP = 3.0  # each round keeps +- this many cells around the best

OPTIMIZER_PLANES = ("gd", "momentum", "nesterov")
NEWTON_PLANES = ("verlet", "symplectic", "euler")


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


@dataclass(frozen=True)
class Optimum:
    """The best setting in a plane for a quadratic: p1, p2 and the rate per tick there."""

    p1: float
    p2: float
    rate: float

    @property
    def steps(self) -> float:
        return float(steps_to_shrink(self.rate))


def optimum_closed(kind: str, lams: Sequence[float]) -> Optimum:
    """Best (lr, beta) in closed form for mu = min(lams) > 0, L = max(lams), kappa = L/mu.

    gd: lr = 2/(L + mu), rate (kappa - 1)/(kappa + 1). momentum (torch heavy ball): lr =
    4/(sqrt L + sqrt mu)^2, beta = ((sqrt kappa - 1)/(sqrt kappa + 1))^2, rate sqrt(beta) (both
    extreme eigenvalues critically damped, the lower one on the small-step branch). nesterov
    (Lessard, Recht & Packard 2016, worst over the whole interval [mu, L]): lr = 4/(3L + mu),
    beta = (sqrt(3 kappa + 1) - 2)/(sqrt(3 kappa + 1) + 2), rate 1 - 2/sqrt(3 kappa + 1).
    All nan unless mu > 0.
    """
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    mu, big = float(lam.min()), float(lam.max())
    if not (mu > 0 and math.isfinite(big)):
        return Optimum(math.nan, math.nan, math.nan)
    kappa = big / mu
    if kind == "gd":
        return Optimum(2.0 / (big + mu), 0.0, (kappa - 1.0) / (kappa + 1.0))
    if kind == "momentum":
        sk = math.sqrt(kappa)
        r = (sk - 1.0) / (sk + 1.0)
        return Optimum(4.0 / (math.sqrt(big) + math.sqrt(mu)) ** 2, r * r, r)
    if kind == "nesterov":
        s = math.sqrt(3.0 * kappa + 1.0)
        return Optimum(4.0 / (3.0 * big + mu), (s - 2.0) / (s + 2.0), 1.0 - 2.0 / s)
    raise ValueError(f"no closed-form optimum for '{kind}'")


def optimum_numeric(kind: str, lams: Sequence[float], box: tuple[float, float, float, float],
                    mass: float = 1.0) -> Optimum:
    """Best (p1, p2) in box (p1_lo, p1_hi, p2_lo, p2_hi) by a zooming grid search on the exact
    rate: ZOOM_ROUNDS rounds of a ZOOM_GRID^2 grid around the best point so far."""
    a0, a1, b0, b1 = (float(v) for v in box)
    best = (math.nan, math.nan, math.inf)
    for _ in range(ZOOM_ROUNDS):
        ps, qs = np.linspace(a0, a1, ZOOM_GRID), np.linspace(b0, b1, ZOOM_GRID)
        r = rate_grid(kind, ps, qs, lams, mass)
        i, j = np.unravel_index(np.argmin(r), r.shape)
        if r[i, j] < best[2]:
            best = (float(ps[i]), float(qs[j]), float(r[i, j]))
        da, db = ZOOM_KEEP * (a1 - a0) / (ZOOM_GRID - 1), ZOOM_KEEP * (b1 - b0) / (ZOOM_GRID - 1)
        a0, a1 = max(box[0], best[0] - da), min(box[1], best[0] + da)
        b0, b1 = max(box[2], best[1] - db), min(box[3], best[1] + db)
    if not best[2] < 1.0:
        return Optimum(math.nan, math.nan, math.nan)
    return Optimum(*best)


def plane_box(kind: str, lams: Sequence[float], mass: float = 1.0) -> tuple[float, float, float, float]:
    """The plane's axes (p1_lo, p1_hi, p2_lo, p2_hi): lr to LR_SPAN x 2/lam_max and beta to
    BETA_MAX; or dt to DT_SPAN x 2/omega_max and friction to FRICTION_SPAN x sqrt(m lam_max).
    A landscape without positive curvature gets unit scales."""
    big = float(np.max(lams))
    big = big if big > 0 and math.isfinite(big) else 1.0
    if kind in OPTIMIZER_PLANES:
        return 0.0, LR_SPAN * 2.0 / big, 0.0, BETA_MAX
    return 0.0, DT_SPAN * 2.0 / math.sqrt(big / mass), 0.0, FRICTION_SPAN * math.sqrt(mass * big)


def optimum(kind: str, lams: Sequence[float], mass: float = 1.0) -> Optimum:
    """Best setting in the plane: closed form for gd, momentum and nesterov (`optimum_closed`),
    and for verlet and symplectic through their exact momentum twin; explicit euler by the
    zooming search over the plane's box."""
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    if not (lam.min() > 0 and np.isfinite(lam).all()):
        return Optimum(math.nan, math.nan, math.nan)
    if kind in OPTIMIZER_PLANES:
        return optimum_closed(kind, lam)
    if kind in ("symplectic", "verlet"):
        # the same map as momentum(lr, beta): symplectic lr = dt^2/m, beta = 1 - friction dt/m;
        # verlet lr = (1 + beta) dt^2 / 2m, beta = exp(-friction dt/m)
        hb = optimum_closed("momentum", lam)
        if kind == "symplectic":
            dt = math.sqrt(mass * hb.p1)
            return Optimum(dt, (1.0 - hb.p2) * mass / dt, hb.rate)
        dt = math.sqrt(2.0 * mass * hb.p1 / (1.0 + hb.p2))
        box = plane_box(kind, lam, mass)
        if hb.p2 > 0.0:
            friction = -mass * math.log(hb.p2) / dt
            if friction <= box[3]:
                return Optimum(dt, friction, hb.rate)
        # beta* = 0 (an isotropic quadratic) needs c1 = exp(-friction dt/m) = 0: infinite
        # friction, off the plane; the best inside the plane's box instead
        return optimum_numeric(kind, lam, box, mass)
    return optimum_numeric(kind, lam, plane_box(kind, lam, mass), mass)


# ================================================================================================
# A whole plane, for the panel
# ================================================================================================

@dataclass
class Plane:
    """A plane's numbers. p1 [w], p2 [h] the axes (lr, beta) or (dt, friction); rate [w, h] the
    worst spectral radius per tick; limit [h] the stable border along p1 per p2 (nan: none);
    critical [k][w] the critical-damping p2 per p1 for each eigenvalue in lams [k]; best the
    optimum; current (p1, p2, rate) of the rule (rate nan for adaptive rules)."""

    kind: str
    axes: tuple[str, str]
    lams: np.ndarray
    mass: float
    p1: np.ndarray
    p2: np.ndarray
    rate: np.ndarray
    limit: np.ndarray
    critical: list[np.ndarray]
    best: Optimum
    current: tuple[float, float, float]
    rule: Rule | None = None

    def rate_at(self, p1: float, p2: float) -> float:
        """Exact rate at any point of the plane (not interpolated from the grid)."""
        if self.rule is None:
            return rate_at(self.kind, p1, p2, self.lams, self.mass)
        return float(plane_rates(self.rule, self.axes, [p1], [p2], self.lams)[0, 0])


def plane(rule: Rule, lams: Sequence[float], size: tuple[int, int] = PLANE_SIZE) -> Plane | None:
    """The plane that shows `rule`, on a size = (w, h) grid, for Hessian eigenvalues `lams`;
    None for a rule without a plane (RuleSpec.plane)."""
    kind, p1c, p2c, mass = rule_setting(rule)
    if kind is None:
        return None
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    a0, a1, b0, b1 = plane_box(kind, lam, mass)
    w, h = int(size[0]), int(size[1])
    p1 = a0 + (a1 - a0) * (np.arange(w) + 0.5) / w
    p2 = b0 + (b1 - b0) * (np.arange(h) + 0.5) / h
    axes = ("lr", "beta") if kind in OPTIMIZER_PLANES else ("dt", "friction")
    rate = plane_rates(rule, axes, p1, p2, lam)
    limit = stable_limit(kind, p2, lam, a1, mass)
    crit = [critical_curve(kind, p1, float(x), mass) for x in lam]
    best = optimum(kind, lam, mass)
    cur = rule_rate(rule, lam)
    return Plane(kind, axes, lam, mass, p1, p2, rate, limit, crit, best, (p1c, p2c, cur), rule)
