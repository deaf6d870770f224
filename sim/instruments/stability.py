"""Stability under the cursor: the curvature against each rule's exact step-size limit, and the verdict."""
from __future__ import annotations

import math

import numpy as np

from sim.instruments import stable_regions as stab
from sim.rules.dynamics import Rule, newton_twin
from sim.rules.classic.newton_method import newton_shift
from sim.landscapes.base import Potential
from sim.instruments.bridge import TWIN_RULES
from sim.instruments.curvature import hessian_eigs


WARN_FRACTION = 0.8  # a metric above this fraction of its stability limit is "warn"
ZETA_WARN = 0.05  # damping ratio below this: barely damped, rings for a long time ("warn")

NA = "n/a"
OK = "ok"
WARN = "warn"
BAD = "bad"


def _status(value: np.ndarray, limit: np.ndarray, valid: np.ndarray,
            lower: np.ndarray | float = 0.0) -> np.ndarray:
    """ok / warn (above WARN_FRACTION of the limit, or within 1 - WARN_FRACTION of the width
    of the stable interval from a lower limit) / bad (outside lower < value < limit) / n/a."""
    out = np.full(value.shape, NA, dtype="<U4")
    with np.errstate(invalid="ignore"):
        good = valid & np.isfinite(value) & np.isfinite(limit)
        out[good] = OK
        near_lo = (lower > 0) & (value < lower + (1.0 - WARN_FRACTION) * (limit - lower))
        out[good & ((value > WARN_FRACTION * limit) | near_lo)] = WARN
        out[good & ((value >= limit) | (value <= lower) | (limit <= lower))] = BAD
    return out


def lr_limit(rule: Rule) -> float:
    """Largest stable lr * lam_max on a quadratic: gd 2, momentum 2(1+beta),
    nesterov 2(1+beta)/(1+2beta); nan for the adaptive rules and the newton family."""
    if rule.name in ("gd", "momentum", "nesterov"):
        return stab.a_limits(rule)[1]
    return float("nan")


def omega_dt_limit(rule: Rule) -> float:
    """Largest stable omega*dt (omega = sqrt(lam/m)) on a quadratic, per integrator (the upper
    end of sim.instruments.stable_regions.ratio_limits; explicit Euler also has a lower end when friction dt/m
    > 2). For gd and momentum: their twin's limit."""
    if rule.name in TWIN_RULES:
        return math.sqrt(lr_limit(rule))  # twin: (omega dt)^2 = lr lam
    if not rule.newtonian:
        return float("nan")
    return stab.ratio_limits(rule)[1]


def omega_dt_lower(rule: Rule) -> float:
    """Smallest stable omega*dt: 0 except explicit Euler with c = friction dt/m > 2 (sqrt(2c - 4))."""
    if rule.newtonian:
        return stab.ratio_limits(rule)[0]
    return 0.0


def stability(potential: Potential, rule: Rule, pos: np.ndarray) -> dict[str, np.ndarray]:
    """Curvature-based stability metrics at positions pos [n, 2] for `rule` (all arrays [n]).

    lam_max, lam_min: Hessian eigenvalues (1/time^2 per unit mass). lr_lam = lr * lam_max with
    lr_lam_limit (gd 2, momentum 2(1+beta), nesterov 2(1+beta)/(1+2beta); nan for adaptive and
    newton rules). omega_dt = dt sqrt(lam_max / m) with omega_dt_limit and omega_dt_lower (the
    exact stable interval of the integrator, see sim.instruments.stable_regions; for gd / momentum the values of
    their Newtonian twin, for which omega dt = sqrt(lr lam)). zeta: the continuous-time damping
    ratio friction / (2 sqrt(m lam_max)), kept as data only: a discrete map is classified by
    `regime` instead. status_lr_lam, status_omega_dt, status_zeta: "ok" / "warn" / "bad" /
    "n/a". Also every key of sim.instruments.stable_regions.analyse (verdict, regime, ratios, limits, critical)
    -- the exact region of the discrete one-step map in both directions.
    """
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
    n = len(pos)
    lam_max, lam_min = hessian_eigs(potential.hessian(pos))
    curved = np.isfinite(lam_max) & (lam_max > 0)
    nan = np.full(n, np.nan)
    lam = np.where(curved, lam_max, np.nan)

    lr_lim = lr_limit(rule)
    if math.isfinite(lr_lim) or rule.name in ("adagrad", "rmsprop", "adam"):
        lr_lam = rule.lr * lam
    else:
        lr_lam = nan.copy()

    if rule.name in TWIN_RULES:
        twin = newton_twin(rule)
        mass, friction, dt = twin.mass, twin.friction, twin.dt
    elif rule.newtonian:
        mass, friction, dt = rule.mass, rule.friction, rule.dt
    else:
        mass = friction = dt = float("nan")
    with np.errstate(all="ignore"):
        omega_dt = dt * np.sqrt(lam / mass)
        zeta = friction / (2.0 * np.sqrt(mass * lam))
    od_lim, od_lo = omega_dt_limit(rule), omega_dt_lower(rule)
    mu = newton_shift(lam_max, lam_min) if rule.name == "newton_method" else 0.0
    exact = stab.analyse(rule, lam_max, lam_min, mu)
    # the exact verdict also counts the other direction and the friction (c < 2 where flat)
    newt_bad = rule.newtonian & (exact["verdict"] == stab.UNSTABLE)

    full = lambda x: np.full(n, x, dtype=np.float64)  # noqa: E731
    zeta_status = np.full(n, NA, dtype="<U4")
    zeta_ok = curved & np.isfinite(zeta)
    zeta_status[zeta_ok] = OK
    zeta_status[zeta_ok & (zeta < ZETA_WARN)] = WARN
    status_od = _status(omega_dt, full(od_lim), curved, od_lo)
    status_od[newt_bad & curved] = BAD
    out = {
        "lam_max": lam_max,
        "lam_min": lam_min,
        "lr_lam": lr_lam,
        "lr_lam_limit": full(lr_lim),
        "omega_dt": omega_dt,
        "omega_dt_limit": full(od_lim),
        "omega_dt_lower": full(od_lo),
        "zeta": zeta,
        "status_lr_lam": _status(lr_lam, full(lr_lim), curved),
        "status_omega_dt": status_od,
        "status_zeta": zeta_status,
    }
    out.update({k: v for k, v in exact.items()})
    return out
