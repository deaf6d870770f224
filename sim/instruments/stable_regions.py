"""The exact stable region of each rule's one-step map on a quadratic, and its regime.

Along one Hessian eigendirection (curvature lam) every non-adaptive rule is a linear map of a
two-number state (position and a buffer or a velocity), z_{k+1} = M z_k, whose characteristic
polynomial is z^2 - T z + D. T and D depend on one dimensionless number a:

- optimizer rules: a = lr lam (newton_method: a = lr lam / (lam + mu));
- the newton family: a = (omega dt)^2 = lam dt^2 / m, and c = friction dt / m.

| rule | T | D |
|---|---|---|
| gd, newton_method | 1 - a | 0 |
| momentum (heavy ball) | 1 + beta - a | beta |
| nesterov (torch) | (1 + beta)(1 - a) | beta (1 - a) |
| newton verlet / BAOAB, langevin | 1 + b - (1 + b) a / 2, b = exp(-c) | b |
| newton symplectic Euler | 2 - c - a | 1 - c |
| newton explicit Euler | 2 - c | 1 - c + a |
| nesterov_ode (late t: friction 3/t fades) | 2 - a | 1 |

Stable (Jury): |D| < 1 and |T| < 1 + D, or the roots on the unit circle and distinct (D = 1,
|T| < 2: no friction). A flat direction (lam = 0) has the root 1; it is stable when the other
root, D, has |D| < 1 (or D = 1: a free drift, as in continuous time). A direction with lam < 0
falls away whatever the step; it is not counted in the verdict. Regime from the roots:
complex -> "rings", a negative real root -> "zigzag" (overshoots every step), positive reals
-> "monotone". The adaptive rules (adagrad, rmsprop, adam) divide by a running average of g^2
that changes every tick: no fixed region is known, and nothing here pretends otherwise.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

ADAPTIVE = ("adagrad", "rmsprop", "adam")
LR_RULES = ("gd", "momentum", "nesterov", "newton_method")  # a = lr lam (ratio shown: lr·λ)
OMEGA_RULES = ("newton", "langevin", "nesterov_ode")  # a = (omega dt)^2 (ratio shown: ω·dt)
FLAT_TOL = 1e-12  # |lam| below this fraction of the larger |lam| (or 1e-300) counts as flat
STABLE, UNSTABLE, NA = "stable", "unstable", "n/a"
MONOTONE, ZIGZAG, RINGS = "monotone", "zigzag", "rings"


def _integrator(rule: Any) -> str:
    if rule.name in ("langevin", "nesterov_ode"):
        return "verlet"
    return rule.integrator


def friction_number(rule: Any) -> float:
    """c = friction dt / mass for the newton family (0 for nesterov_ode: its friction fades
    as 3/t); nan for the optimizer rules."""
    if rule.name in ("newton", "langevin"):
        return rule.friction * rule.dt / rule.mass
    if rule.name == "nesterov_ode":
        return 0.0
    return math.nan


def ratio_name(rule: Any) -> str:
    """The number the panel compares with the limits: "lr·λ" or "ω·dt" ("" for adaptive)."""
    if rule.name in OMEGA_RULES:
        return "ω·dt"
    if rule.name == "newton_method":
        return "lr·λ/(λ+μ)"  # Levenberg's shift mu (0 where H > 0: the ratio is lr)
    return "lr·λ" if rule.name in LR_RULES else ""


def a_of(rule: Any, lam: np.ndarray, mu: np.ndarray | float = 0.0) -> np.ndarray:
    """The dimensionless a [n] for curvatures lam [n] (nan for adaptive rules)."""
    lam = np.asarray(lam, dtype=np.float64)
    with np.errstate(all="ignore"):
        if rule.name == "newton_method":
            return rule.lr * lam / (lam + mu)
        if rule.name in LR_RULES:
            return rule.lr * lam
        if rule.name in OMEGA_RULES:
            mass = rule.mass if rule.name != "nesterov_ode" else 1.0
            return lam * rule.dt * rule.dt / mass
    return np.full(lam.shape, np.nan)


def to_ratio(rule: Any, a: np.ndarray | float) -> np.ndarray:
    """a -> the ratio shown: a itself for lr rules, sqrt(a) = omega dt for the newton family."""
    a = np.asarray(a, dtype=np.float64)
    if rule.name in OMEGA_RULES:
        with np.errstate(invalid="ignore"):
            return np.where(a >= 0, np.sqrt(np.abs(a)), np.nan)
    return a


def char_poly(rule: Any, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) [n] of the one-step map's characteristic polynomial z^2 - T z + D at a [n]."""
    a = np.asarray(a, dtype=np.float64)
    one = np.ones_like(a)
    name = rule.name
    if name in ("gd", "newton_method"):
        return 1.0 - a, 0.0 * one
    if name == "momentum":
        return 1.0 + rule.beta - a, rule.beta * one
    if name == "nesterov":
        return (1.0 + rule.beta) * (1.0 - a), rule.beta * (1.0 - a)
    if name == "nesterov_ode":
        return 2.0 - a, one
    if name in ("newton", "langevin"):
        c = friction_number(rule)
        integ = _integrator(rule)
        if integ == "verlet":
            b = math.exp(-c)
            return 1.0 + b - 0.5 * (1.0 + b) * a, b * one
        if integ == "symplectic":
            return 2.0 - c - a, (1.0 - c) * one
        return (2.0 - c) * one, 1.0 - c + a
    return np.full_like(a, np.nan), np.full_like(a, np.nan)


def a_limits(rule: Any) -> tuple[float, float]:
    """The exact stable interval lo < a < hi for a curved direction (lam > 0); lo >= hi: no
    step is stable; (nan, nan) for adaptive rules."""
    name = rule.name
    if name in ("gd", "newton_method"):
        return 0.0, 2.0
    if name == "momentum":
        return 0.0, 2.0 * (1.0 + rule.beta)
    if name == "nesterov":
        return 0.0, 2.0 * (1.0 + rule.beta) / (1.0 + 2.0 * rule.beta)
    if name == "nesterov_ode":
        return 0.0, 4.0
    if name in ("newton", "langevin"):
        c = friction_number(rule)
        integ = _integrator(rule)
        if integ == "verlet":
            return 0.0, 4.0
        if integ == "symplectic":
            return (0.0, 2.0 * (2.0 - c)) if c < 2.0 else (0.0, 0.0)
        if 0.0 < c < 4.0:  # explicit Euler: max(0, 2c - 4) < (omega dt)^2 < c
            return max(0.0, 2.0 * c - 4.0), c
        return 0.0, 0.0
    return math.nan, math.nan


def ratio_limits(rule: Any) -> tuple[float, float]:
    """a_limits in the units the panel shows (lr·λ, or ω·dt = sqrt(a))."""
    lo, hi = a_limits(rule)
    return float(to_ratio(rule, lo)), float(to_ratio(rule, hi))


def friction_limit(rule: Any) -> float:
    """Largest stable c = friction dt / m: 2 for the Euler integrators (a flat direction's
    velocity factor 1 - c must stay inside (-1, 1); symplectic needs it for every direction),
    inf for Verlet / BAOAB, nan for the optimizer rules."""
    if rule.name in ("newton", "langevin"):
        return 2.0 if _integrator(rule) in ("symplectic", "euler") else math.inf
    return math.nan


def flat_stable(rule: Any) -> bool:
    """Whether a flat direction (lam = 0) stays bounded: its second root is D at a = 0."""
    if rule.name in ADAPTIVE:
        return True
    _t, d = char_poly(rule, np.zeros(1))
    d = float(d[0])
    return abs(d) < 1.0 or d == 1.0


def critical_a(rule: Any) -> tuple[float, ...]:
    """The values of a (lam > 0) where the regime changes, ascending."""
    name = rule.name

    def heavy(beta: float, scale: float = 1.0) -> tuple[float, ...]:
        if beta <= 0.0:
            return (scale,)
        s = math.sqrt(beta)
        return (scale * (1.0 - s) ** 2, scale * (1.0 + s) ** 2)

    if name in ("gd", "newton_method"):
        return (1.0,)
    if name == "momentum":
        return heavy(rule.beta)
    if name == "nesterov":
        return (((1.0 - rule.beta) / (1.0 + rule.beta)) ** 2, 1.0) if rule.beta > 0 else (1.0,)
    if name == "nesterov_ode":
        return ()
    if name in ("newton", "langevin"):
        c = friction_number(rule)
        integ = _integrator(rule)
        if integ == "verlet":
            b = math.exp(-c)
            return heavy(b, 2.0 / (1.0 + b))
        if integ == "symplectic":
            return heavy(1.0 - c) if c <= 1.0 else ()
        out = [c * c / 4.0]  # explicit Euler: complex roots iff a > c^2 / 4
        if 1.0 < c < 2.0:
            out.insert(0, c - 1.0)  # a negative root iff a < c - 1
        return tuple(out) if c > 0 else ()
    return ()


def critical_ratios(rule: Any) -> tuple[float, ...]:
    """critical_a in the units the panel shows."""
    return tuple(float(to_ratio(rule, a)) for a in critical_a(rule))


def roots(t: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two roots [n] (complex) of z^2 - T z + D."""
    disc = np.asarray(t, dtype=np.complex128) ** 2 - 4.0 * np.asarray(d, dtype=np.complex128)
    s = np.sqrt(disc)
    return 0.5 * (t + s), 0.5 * (t - s)


def regime_of(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """"rings" / "zigzag" / "monotone" per direction from the roots of z^2 - T z + D."""
    t, d = np.asarray(t, dtype=np.float64), np.asarray(d, dtype=np.float64)
    out = np.full(t.shape, NA, dtype="<U8")
    with np.errstate(all="ignore"):
        disc = t * t - 4.0 * d
        ok = np.isfinite(disc)
        root_lo = 0.5 * (t - np.sqrt(np.where(disc >= 0, disc, 0.0)))
        scale = 1e-12 * np.maximum(np.abs(t), 1.0)
        complex_ = ok & (disc < -1e-12 * np.maximum(t * t, np.abs(d)))
        out[ok] = MONOTONE
        out[ok & ~complex_ & (root_lo < -scale)] = ZIGZAG
        out[complex_] = RINGS
    return out


def spectral_radius(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """max |root| [n] of z^2 - T z + D."""
    r1, r2 = roots(t, d)
    return np.maximum(np.abs(r1), np.abs(r2))


def analyse(rule: Any, lam_max: np.ndarray, lam_min: np.ndarray,
            mu: np.ndarray | float = 0.0) -> dict[str, Any]:
    """Per point (arrays [n]): the stability of `rule`'s step at curvatures lam_max, lam_min.

    Keys: ratio_max, ratio_min (lr·λ or ω·dt; nan where it does not apply), lo, hi (the stable
    interval of the ratio, scalars), c and c_limit (newton family), stable_max, stable_min
    ("stable" / "unstable" / "n/a" per direction), regime_max, regime_min, verdict ("stable"
    when every direction that counts is stable, "unstable" when one is not, "n/a" for adaptive
    rules or where no direction counts), regime (the stiffest non-monotone direction's, λmax
    first), critical (the ratios where the regime changes), rho_max, rho_min (spectral radii).
    """
    lam_max = np.atleast_1d(np.asarray(lam_max, dtype=np.float64))
    lam_min = np.atleast_1d(np.asarray(lam_min, dtype=np.float64))
    n = len(lam_max)
    lo_a, hi_a = a_limits(rule)
    out: dict[str, Any] = {"ratio_name": ratio_name(rule), "critical": critical_ratios(rule),
                           "c": friction_number(rule), "c_limit": friction_limit(rule)}
    out["lo"], out["hi"] = ratio_limits(rule)
    verdict = np.full(n, NA, dtype="<U8")
    if rule.name not in LR_RULES + OMEGA_RULES:  # adaptive, or a rule this table does not know: n/a
        for k in ("max", "min"):
            out[f"ratio_{k}"] = rule.lr * (lam_max if k == "max" else lam_min)
            out[f"stable_{k}"] = np.full(n, NA, dtype="<U8")
            out[f"regime_{k}"] = np.full(n, NA, dtype="<U8")
            out[f"rho_{k}"] = np.full(n, np.nan)
        out["verdict"], out["regime"] = verdict, np.full(n, NA, dtype="<U8")
        return out
    flat_ok = flat_stable(rule)
    any_counted = np.zeros(n, dtype=bool)
    any_bad = np.zeros(n, dtype=bool)
    scale = np.maximum(np.maximum(np.abs(lam_max), np.abs(lam_min)), 1e-300)
    for k, lam in (("max", lam_max), ("min", lam_min)):
        a = a_of(rule, lam, mu)
        t, d = char_poly(rule, a)
        flat = np.abs(lam) <= FLAT_TOL * scale
        curved = np.isfinite(lam) & (lam > 0) & ~flat
        with np.errstate(invalid="ignore"):
            inside = (a > lo_a) & (a < hi_a)
        st = np.full(n, NA, dtype="<U8")
        st[curved] = np.where(inside[curved], STABLE, UNSTABLE)
        st[flat] = STABLE if flat_ok else UNSTABLE
        counted = curved | flat
        any_counted |= counted
        any_bad |= counted & (st == UNSTABLE)
        reg = regime_of(t, d)
        reg[~curved] = NA
        out[f"ratio_{k}"] = np.where(np.isfinite(lam) & (lam >= 0), to_ratio(rule, a), np.nan)
        out[f"stable_{k}"] = st
        out[f"regime_{k}"] = reg
        out[f"rho_{k}"] = np.where(counted, spectral_radius(t, d), np.nan)
    verdict[any_counted] = STABLE
    verdict[any_bad] = UNSTABLE
    regime = np.where(out["regime_max"] != NA, out["regime_max"], out["regime_min"])
    regime = np.where((regime == MONOTONE) & np.isin(out["regime_min"], (ZIGZAG, RINGS)),
                      out["regime_min"], regime)
    out["verdict"], out["regime"] = verdict, regime
    return out
