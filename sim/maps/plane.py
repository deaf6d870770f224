"""The hyperparameter plane: its box, the optimum (closed form or zoomed numerically), the rate over the grid."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sim.rules.dynamics import Rule
from sim.maps.rates import OPTIMIZER_PLANES, critical_curve, plane_rates, rate_at, rate_grid, rule_rate, rule_setting, stable_limit, steps_to_shrink


PLANE_SIZE = (96, 64)  # default (p1, p2) grid of a plane
LR_SPAN = 2.2  # the lr axis runs to LR_SPAN x 2/lam_max (momentum's limit at beta -> 1 is 4/lam_max)
BETA_MAX = 0.995  # the beta axis runs over [0, BETA_MAX]
DT_SPAN = 1.6  # the dt axis runs to DT_SPAN x 2/omega_max (Verlet's limit is 2/omega)
FRICTION_SPAN = 4.0  # the friction axis runs to FRICTION_SPAN x sqrt(m lam_max)
ZOOM_GRID = 48  # numeric optimum: grid per side per zoom round
ZOOM_ROUNDS = 10
ZOOM_KEEP = 3.0  # each round keeps +- this many cells around the best


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
