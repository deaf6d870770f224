"""SGD's cloud at a minimum against Langevin at T_eff: the heat panel's numbers for balls that
train on minibatches.

Near a minimum x* with Hessian H, a minibatch rule is a linear map driven by noise:
z' = M z + N xi, z the rule's state (x - x*, and the momentum buffer u for heavy-ball rules),
xi the minibatch gradient's noise with covariance Q = C / B (n - B) / (n - 1), C the exact
per-example gradient covariance at x* (sim/data/minibatch.py). Its stationary covariance solves
the discrete Lyapunov equation S = M S M^T + N Q N^T, exactly. "Langevin at T_eff" is the same
map driven by isotropic noise of the same trace, (tr Q / 2) I: for gd that is the noise
2 lr T_eff I of Langevin at T_eff with time step lr. Where SGD and that Langevin part is C
itself: anisotropic (its eigenvalues differ; its axes need not be H's) and not constant (it grows
away from x*; `stationary_cov_moving` takes C(x) to first order, from the examples' Hessians).
Positions in the landscape's units; variances in units squared.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from sim.data.base import is_data
from sim.data.minibatch import effective_batch, gradient_covariance, noise_temperature
from sim.rules.base import Family
from sim.core.particles import ALIVE

NEAR_SIGMAS = 6.0  # a ball counts when within this many predicted sigmas of the minimum
PREDICTED_RULES = ("gd", "momentum", "nesterov", "newton_method")  # linear near a minimum
MEDIAN_SAMPLE = 1024  # balls (every k-th) whose median picks the minimum
SPECTRAL_MARGIN = 1e-12  # a map with spectral radius >= 1 - this has no stationary spread
MOMENT_RULES = ("gd", "momentum", "nesterov")  # per-tick map affine in the minibatch Hessian
HILL_MIN = 10  # order statistics the tail-index estimate uses at least (else sqrt(balls))
TAIL_SIGMAS = 2.0  # the estimate says "heavy" when alpha + this x its error is still < 4


def linear_map(rule, h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(M [k, k], N [k, 2]) of the rule's tick linearized at a minimum with Hessian h [2, 2]:
    z' = M z + N xi, z = x - x* (k = 2) or (x - x*, u) (k = 4, heavy ball); None for rules
    that are not linear there (adaptive rules, Newton's law)."""
    lr, b, i2, o2 = float(rule.lr), float(rule.beta), np.eye(2), np.zeros((2, 2))
    if rule.name == "gd":
        return i2 - lr * h, -lr * i2
    if rule.name == "momentum":  # u' = b u + g;  x' = x - lr u'
        return np.block([[i2 - lr * h, -lr * b * i2], [h, b * i2]]), np.vstack([-lr * i2, i2])
    if rule.name == "nesterov":  # u' = b u + g;  x' = x - lr (g + b u')
        m = np.block([[i2 - lr * (1 + b) * h, -lr * b * b * i2], [h, b * i2]])
        return m, np.vstack([-lr * (1 + b) * i2, i2])
    if rule.name == "newton_method":  # H > 0 at a minimum: no shift; x' = x - lr H^-1 g
        if np.linalg.eigvalsh(h)[0] <= 0:
            return None
        return (1.0 - lr) * i2, -lr * np.linalg.inv(h)
    return None


def lyapunov(m: np.ndarray, r: np.ndarray) -> np.ndarray | None:
    """S [k, k] with S = M S M^T + R (M [k, k], R [k, k] symmetric), solved exactly as the
    linear system (I - M (x) M) vec S = vec R; None when M's spectral radius is >= 1 (no
    stationary covariance)."""
    m = np.asarray(m, dtype=np.float64)
    if not np.all(np.isfinite(m)) or np.max(np.abs(np.linalg.eigvals(m))) >= 1.0 - SPECTRAL_MARGIN:
        return None
    k = len(m)
    s = np.linalg.solve(np.eye(k * k) - np.kron(m, m), np.asarray(r, dtype=np.float64).ravel())
    s = s.reshape(k, k)
    return 0.5 * (s + s.T)


def relax_ticks(rule, h: np.ndarray) -> float:
    """Ticks for the mean to relax by a factor e near the minimum: 1 / -log(spectral radius of
    M); inf when the map does not contract (or is not linear there)."""
    mn = linear_map(rule, h)
    if mn is None or not np.all(np.isfinite(mn[0])):
        return math.inf
    rho = float(np.max(np.abs(np.linalg.eigvals(mn[0]))))
    return -1.0 / math.log(rho) if 0.0 < rho < 1.0 else (0.0 if rho == 0.0 else math.inf)


def stationary_cov(rule, h: np.ndarray, q: np.ndarray) -> np.ndarray | None:
    """Stationary covariance [2, 2] of the position under `rule` near a minimum with Hessian
    h [2, 2], the gradient noise having covariance q [2, 2]; None: no linear prediction or no
    stationary spread."""
    mn = linear_map(rule, h)
    if mn is None:
        return None
    m, n = mn
    s = lyapunov(m, n @ q @ n.T)
    return None if s is None else s[:2, :2]


def stationary_cov_moving(rule, h: np.ndarray, q: np.ndarray, hs: np.ndarray, scale: float
                          ) -> np.ndarray | None:
    """As stationary_cov, with noise that grows away from the minimum: the gradient noise at
    x* + d has covariance q + scale (mean_i H_i d d^T H_i - H d d^T H) to first order in d
    (H_i = hs [n, 2, 2] the examples' Hessians; exact where the examples' gradients are affine,
    as in linreg). Averaged over the cloud this adds scale (mean_i H_i S H_i - H S H), linear
    in S, so S = M S M^T + N (q + that) N^T is one linear system. None: no linear prediction, or
    the noise feeds itself faster than the map contracts (no stationary spread)."""
    mn = linear_map(rule, h)
    if mn is None:
        return None
    m, n = mn
    k = len(m)
    hs = np.asarray(hs, dtype=np.float64)
    grow = scale * (np.einsum("nij,nkl->ikjl", hs, hs).reshape(4, 4) / len(hs) - np.kron(h, h))
    pick = np.zeros((4, k * k))  # vec of the position block out of vec S (row-major)
    for a in range(2):
        for b in range(2):
            pick[2 * a + b, k * a + b] = 1.0
    t = np.kron(m, m) + np.kron(n, n) @ grow @ pick
    if not np.all(np.isfinite(t)) or np.max(np.abs(np.linalg.eigvals(t))) >= 1.0 - SPECTRAL_MARGIN:
        return None
    s = np.linalg.solve(np.eye(k * k) - t, (n @ q @ n.T).ravel()).reshape(k, k)
    return 0.5 * (s[:2, :2] + s[:2, :2].T)


@functools.lru_cache(maxsize=8)
def _sym_basis(k: int, p: int) -> np.ndarray:
    """Orthonormal basis [k^p, d] of the fully symmetric tensors of order p over R^k: per
    multiset of indices, the indicator of its permutations over the square root of their count."""
    idx = np.indices((k,) * p).reshape(p, -1).T  # [k^p, p] index tuples, row-major
    orbit = {}
    for flat, t in enumerate(idx):
        orbit.setdefault(tuple(sorted(t)), []).append(flat)
    basis = np.zeros((k**p, len(orbit)))
    for j, members in enumerate(orbit.values()):
        basis[members, j] = 1.0 / math.sqrt(len(members))
    return basis


def moment_radius(rule, hs: np.ndarray, p: int) -> float:
    """Spectral radius of z -> E[A^(x)p] on symmetric order-p tensors, A = M(H_i) the rule's
    tick linearized with one example's Hessian H_i (hs [n, 2, 2]; batch 1: each example with
    probability 1/n): the stationary p-th moment of the cloud is finite iff this is < 1 (the
    ticks are independent random linear maps plus noise, a Kesten recursion; exact where the
    examples' gradients are affine, as in linreg). p = 2 gives the variance's own relaxation.
    nan for rules whose tick is not affine in the Hessian."""
    if rule.name not in MOMENT_RULES:
        return math.nan
    hs = np.ascontiguousarray(hs, dtype=np.float64)
    key = (rule.name, float(rule.lr), float(rule.beta), hs.shape, hs.tobytes(), p)
    if key not in _RADII:
        if len(_RADII) >= 64:
            _RADII.clear()
        _RADII[key] = _moment_radius(rule, hs, p)
    return _RADII[key]


_RADII: dict[tuple, float] = {}  # moment_radius per (rule, Hessians, p): drawn every frame


def _moment_radius(rule, hs: np.ndarray, p: int) -> float:
    maps = [linear_map(rule, h)[0] for h in hs]
    k = len(maps[0])
    mean = np.zeros((k**p, k**p))
    for a in maps:
        big = a
        for _ in range(p - 1):
            big = np.kron(big, a)
        mean += big
    basis = _sym_basis(k, p)
    t = basis.T @ (mean / len(maps)) @ basis
    if not np.all(np.isfinite(t)):
        return math.nan
    return float(np.max(np.abs(np.linalg.eigvals(t))))


def hill_tail_index(r: np.ndarray) -> tuple[float, float]:
    """(alpha, its standard error alpha / sqrt(k)) of P(|z| > r) ~ r^-alpha from the largest
    k = max(HILL_MIN, sqrt(len)) radii r [m] (Hill 1975); nan with fewer than 2k radii."""
    r = np.asarray(r, dtype=np.float64)
    r = r[np.isfinite(r)]
    k = max(HILL_MIN, int(math.sqrt(len(r))))
    if len(r) < 2 * k:
        return math.nan, math.nan
    r = np.sort(np.partition(r, len(r) - k - 1)[-k - 1:])  # the k + 1 largest
    if r[0] <= 0:
        return math.nan, math.nan
    logs = np.log(r[-k:] / r[-k - 1])
    alpha = 1.0 / float(logs.mean()) if logs.mean() > 0 else math.inf
    return alpha, alpha / math.sqrt(k)


def variance_rel_se(d: np.ndarray) -> list[float]:
    """Relative standard error [2] of the sample variance along each column of d [m, 2]
    (deviations from the center), from the sample's own fourth moment:
    sqrt((m4 / m2^2 - 1) / m), distribution-free (sqrt(2/m) for a Gaussian)."""
    m = len(d)
    if m < 3:
        return [math.nan, math.nan]
    m2 = (d * d).mean(axis=0)
    m4 = (d**4).mean(axis=0)
    return [math.sqrt(max(float(a / (b * b)) - 1.0, 0.0) / m) if b > 0 else math.nan
            for a, b in zip(m4, m2)]


def sgd_group(world, chosen: int | None = None) -> tuple[int, np.ndarray, int] | None:
    """(rule id, rows [k] of its alive balls, other alive balls) of the SGD view: only when no
    langevin ball is alive and the landscape is made from data; the rule of the chosen ball
    (row) when it trains on minibatches (an optimizer rule, B < n), else the current rule when
    it does and has alive balls, else the first such rule."""
    pot, p = world.potential, world.particles
    if not is_data(pot):
        return None
    data = pot.data
    alive = p.status[: world.n] == ALIVE
    rid = p.rule[: world.n].astype(np.intp)
    present = set(np.flatnonzero(np.bincount(rid[alive], minlength=len(world.rules))).tolist())
    if any(world.rules[k].name == "langevin" for k in present):
        return None
    ok = [k for k, r in enumerate(world.rules) if k in present and r.family != Family.NEWTON
          and effective_batch(r.batch, data.n) > 0]
    if not ok:
        return None
    pick = ok[0]
    if chosen is not None and 0 <= chosen < world.n and int(rid[chosen]) in ok:
        pick = int(rid[chosen])
    rows = np.flatnonzero(alive & (rid == pick))
    return pick, rows, int(np.count_nonzero(alive)) - len(rows)


def _center(pot, pts: np.ndarray) -> tuple[np.ndarray, str]:
    """The minimum the cloud sits at: the known minimum nearest the balls' median (of at most
    about MEDIAN_SAMPLE of them), else a Newton solve from it, else the median itself.
    Returns (x* [2], "minimum" | "median")."""
    from sim.data.base import newton_minimum

    med = np.median(pts[:: max(1, len(pts) // MEDIAN_SAMPLE)], axis=0)
    known = np.asarray(pot.minima, dtype=np.float64).reshape(-1, 2)
    if len(known):
        return known[int(np.argmin(((known - med) ** 2).sum(axis=1)))].copy(), "minimum"
    found = newton_minimum(pot, med)
    return (found, "minimum") if found is not None else (med, "median")


def _in_basis(s: np.ndarray | None, e: np.ndarray) -> tuple[list[float], float]:
    """(variances along e's columns [2], correlation between them) of a covariance s [2, 2]."""
    if s is None or not np.all(np.isfinite(s)):
        return [math.nan, math.nan], math.nan
    t = e.T @ s @ e
    # a covariance's diagonal is >= 0: a negative one is rounding around an exact 0
    v = [max(float(t[0, 0]), 0.0), max(float(t[1, 1]), 0.0)]
    den = math.sqrt(v[0] * v[1])
    return v, float(t[0, 1] / den) if den > 0 else math.nan


def _nested(s: np.ndarray | None) -> list[list[float]] | None:
    return None if s is None else [[float(v) for v in row] for row in s]


def _near(pts: np.ndarray, center: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """Mask [k] of the balls within NEAR_SIGMAS of center in the metric of scale [2, 2]."""
    if scale is None or len(pts) == 0:
        return np.ones(len(pts), dtype=bool)
    d = pts - center
    w, v = np.linalg.eigh(scale)
    if w[0] <= 0:
        return np.ones(len(pts), dtype=bool)
    z = (d @ v) ** 2 / w
    return z.sum(axis=1) <= NEAR_SIGMAS**2


def _noise_shape(pot, center: np.ndarray, c: np.ndarray, e: np.ndarray,
                 spread: np.ndarray | None) -> dict[str, Any]:
    """Where SGD is not Langevin: C's eigenvalues (larger first), their ratio, the angle
    (degrees, 0..90) between C's major axis and H's stiff axis e[:, 0]; tr C at the four points
    one sigma out along spread's [2, 2] principal axes, over tr C at the minimum (min, max)."""
    cw, cv = np.linalg.eigh(c)
    ratio = float(cw[1] / cw[0]) if cw[0] > 0 else math.inf
    angle = math.degrees(math.acos(min(1.0, abs(float(cv[:, 1] @ e[:, 0])))))
    tr0 = float(np.trace(c))
    edge = [math.nan, math.nan]
    if spread is not None and np.all(np.isfinite(spread)) and tr0 > 0:
        sw, sv = np.linalg.eigh(spread)
        steps = (sv * np.sqrt(np.maximum(sw, 0.0))).T  # [2 axes, 2]
        trs = [float(np.trace(gradient_covariance(pot, center + sign * s)))
               for s in steps for sign in (1.0, -1.0)]
        edge = [min(trs) / tr0, max(trs) / tr0]
    return {"c_eigenvalues": [float(cw[1]), float(cw[0])], "anisotropy": ratio,
            "c_angle_deg": angle, "trace_c_edge_ratio": edge}


def _tails(rule, pot, center: np.ndarray, batch: float, pts: np.ndarray, near: np.ndarray,
           e: np.ndarray) -> dict[str, Any]:
    """How far the measured variance can be trusted: the moment radii (batch 1 with the
    examples' Hessians known: exact), the variance's own relaxation, the tail index of the
    whole group's distances (Hill), the share of the second moment the far balls carry, and
    the distribution-free relative error of the counted balls' variance (nan where the fourth
    moment is infinite: the sample variance then has no standard error)."""
    rho2 = rho4 = math.nan
    if int(batch) == 1 and pot.has_example_hessians:
        hs = pot.example_hessians(center)
        rho2, rho4 = moment_radius(rule, hs, 2), moment_radius(rule, hs, 4)
    d_all = pts - center
    alpha, alpha_se = hill_tail_index(np.hypot(d_all[:, 0], d_all[:, 1]))
    if math.isfinite(rho4):
        fourth = "infinite" if rho4 >= 1.0 - SPECTRAL_MARGIN else "finite"
    elif math.isfinite(alpha) and alpha + TAIL_SIGMAS * alpha_se < 4.0:
        fourth = "infinite (estimated)"
    else:
        fourth = "unknown"
    rel = variance_rel_se((pts[near] - center) @ e)
    if fourth.startswith("infinite"):
        rel = [math.nan, math.nan]
    second = (d_all * d_all).sum(axis=1)
    total = float(second.sum())
    share = float(second[~near].sum() / total) if total > 0 else math.nan
    relax_var = -1.0 / math.log(rho2) if 0.0 < rho2 < 1.0 else math.inf if math.isfinite(rho2) \
        else math.nan
    return {"rho_second": rho2, "rho_fourth": rho4, "fourth_moment": fourth,
            "relax_ticks_var": relax_var, "tail_index": alpha, "tail_index_se": alpha_se,
            "far_share": share, "var_measured_rel_se_axes": rel,
            "var_measured_rel_se": max(rel) if all(math.isfinite(v) for v in rel) else math.nan}


def sgd_heat(world, chosen: int | None = None) -> tuple[dict[str, Any], np.ndarray, np.ndarray] | None:
    """(readout, positions [k, 2] of the group's balls, mask [k] of those counted as near) of
    the SGD view (sgd_group, with the chosen ball's rule first), or None when it does not apply.
    Readout keys: see sgd_heat_readout."""
    group = sgd_group(world, chosen)
    if group is None:
        return None
    rid, rows, left_out = group
    rule, pot = world.rules[rid], world.potential
    pts = world.particles.pos[rows].astype(np.float64)
    center, kind = _center(pot, pts)
    noise = noise_temperature(pot, center, rule.lr, rule.batch)
    c = np.array([[noise["cxx"], noise["cxy"]], [noise["cxy"], noise["cyy"]]])
    q = c / noise["batch"] * noise["factor"]
    h = pot.hessian(center[None])[0]
    h = 0.5 * (h + h.T)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(center))):
        return None
    lam, e = np.linalg.eigh(h)
    lam, e = lam[::-1], e[:, ::-1]  # e1 the stiff axis
    s_sgd = stationary_cov(rule, h, q)
    s_lang = stationary_cov(rule, h, 0.5 * np.trace(q) * np.eye(2))
    s_move = None
    if pot.has_example_hessians:
        s_move = stationary_cov_moving(rule, h, q, pot.example_hessians(center),
                                       noise["factor"] / noise["batch"])
    widest = next((s for s in (s_move, s_sgd, s_lang) if s is not None), None)
    near = _near(pts, center, widest)  # the most faithful prediction sets what "near" is
    counted = int(np.count_nonzero(near))
    s_meas = np.cov(pts[near].T) if counted >= 3 else None
    nf = rule.spec.noise_factor(rule)  # the rule's temperature per gd's T_eff (heavy ball 1/(1-beta))
    t_eff = None if nf is None else float(nf * noise["t_eff"])
    cont = [(float(t_eff / v) if v > 0 else math.inf) if t_eff is not None else None for v in lam]
    tails = _tails(rule, pot, center, noise["batch"], pts, near, e)
    out: dict[str, Any] = {
        "rule": rule.name, "lr": float(rule.lr), "batch": int(noise["batch"]), "n": int(noise["n"]),
        "factor": float(noise["factor"]), "balls": counted,
        "var_measured_rel_se_gaussian": math.sqrt(2.0 / (counted - 1)) if counted >= 3 else math.nan,
        "far": int(len(near) - np.count_nonzero(near)), "left_out": left_out,
        "center": [float(v) for v in center], "center_kind": kind,
        "mean": [float(v) for v in pts[near].mean(axis=0)] if near.any() else [math.nan, math.nan],
        "t_eff": t_eff, "t_eff_factor": nf, "t_eff_gd": float(noise["t_eff"]),
        "trace_c": float(noise["trace"]),
        "hessian_eigenvalues": [float(v) for v in lam],
        "e1_angle_deg": math.degrees(math.atan2(e[1, 0], e[0, 0])),
        "predicted": s_sgd is not None or s_lang is not None,
        "schedule": rule.schedule, "relax_ticks": relax_ticks(rule, h),
        "cov_measured": _nested(s_meas), "cov_langevin": _nested(s_lang), "cov_sgd": _nested(s_sgd),
        "cov_sgd_moving": _nested(s_move), "moving_known": pot.has_example_hessians,
        "var_langevin_continuous": cont, **tails}
    for name, s in (("measured", s_meas), ("langevin", s_lang), ("sgd", s_sgd), ("sgd_moving", s_move)):
        out[f"var_{name}"], out[f"corr_{name}"] = _in_basis(s, e)
    out.update(_noise_shape(pot, center, c, e, s_meas if s_meas is not None else s_sgd))
    return out, pts, near


def sgd_heat_readout(world, chosen: int | None = None) -> dict[str, Any] | None:
    """The SGD view's numbers (None when it does not apply). Keys: rule, lr, batch (B), n
    (examples), factor ((n−B)/(n−1)), balls (counted: within NEAR_SIGMAS of the minimum in the
    metric of the C(x) prediction, else C(x*)'s, else Langevin's),
    var_measured_rel_se (the larger of var_measured_rel_se_axes [2], the measured variances'
    relative standard errors from the balls' own fourth moment, sqrt((m4/m2² − 1)/balls); nan
    where the fourth moment is infinite), var_measured_rel_se_gaussian (what a Gaussian cloud
    would give, sqrt(2/(balls−1))), fourth_moment ("finite", "infinite": exact, from
    rho_fourth; "infinite (estimated)": from the tail index; "unknown"), rho_fourth and
    rho_second (spectral radii of the tick's 4th and 2nd tensor powers averaged over the
    examples, batch 1 with the examples' Hessians known, else nan), relax_ticks_var (the
    variance's own relaxation, −1/ln rho_second), tail_index and tail_index_se (Hill, from
    all the group's distances to the center), far_share (the share of the group's second
    moment about the center carried by the far balls), far,
    left_out (other rules' alive balls), center [2] and center_kind, mean [2] of the counted
    balls, t_eff and trace_c at the center, hessian_eigenvalues [2] (stiff first, axes e1, e2),
    e1_angle_deg (e1 from the first parameter's axis),
    predicted (the rule is linear near a minimum and stable), schedule, relax_ticks (ticks for the
    mean's slowest mode to relax by e; the variance relaxes at relax_ticks_var), cov_measured /
    cov_langevin / cov_sgd [2][2] (None when absent), var_* [2] along e1, e2 and corr_* for
    measured, langevin (isotropic noise of equal trace, discrete Lyapunov) and sgd (the exact
    C at the center); cov_sgd_moving / var_sgd_moving / corr_sgd_moving: the same with the
    noise growing away from the center, C(x) to first order (stationary_cov_moving; only where
    the landscape knows its examples' Hessians: moving_known); var_langevin_continuous [2]
    (T_eff / lambda), c_eigenvalues [2], anisotropy (their
    ratio), c_angle_deg, trace_c_edge_ratio [2] (min, max of tr C one sigma out / at center)."""
    got = sgd_heat(world, chosen)
    return None if got is None else got[0]
