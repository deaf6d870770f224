"""Instruments that show *why* a ball moves as it does: the numbers behind the window's panels.

Numbers only (never imports pygame); every function is vectorized over particles or grid
points. Positions are float64 arrays [n, 2] in world units; energies are in units of V
(mass x length^2 / time^2 with the rule's time unit); one optimizer tick is one unit of time.

- Race: `find_or_add_rule`, `last_ball_per_rule` -- lanes of rules, and each lane's newest ball.
- Bridge: `bridge`, `newton_to_momentum`, `gradient_flow_rule`, `overdamped_rules` --
  heavy-ball momentum is Newton with friction.
- Energy ledger: `ledger` -- kinetic + potential + dissipated - initial = numerical drift.
- Stability: `stability`, `hessian_eigs` -- curvature against each rule's step-size limit.
- Basins: `BasinJob` -- where a ball from each grid point ends up, computed in slices.
- Heat: `boltzmann_histogram`, `heat_values` -- the V histogram against exp(-V/T).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np

from sim import stability as stab
from sim.eig2 import sym_eigvals
from sim.dynamics import Rule, State, buffer_fields, newton_shift, newton_twin, step
from sim.particles import ALIVE
from sim.potential_base import Potential, View
from sim.world import BOUND, World

# --- constants ---------------------------------------------------------------------------------
LAM_SAMPLE = 4096  # balls whose curvature bounds a step (the mass control, flow partners)
WARN_FRACTION = 0.8  # a metric above this fraction of its stability limit is "warn"
ZETA_WARN = 0.05  # damping ratio below this: barely damped, rings for a long time ("warn")
TWIN_RULES = ("gd", "momentum")  # optimizers whose Newtonian twin is exact (semi-implicit Euler)
OVERDAMPED_OMEGA_DT = 1.0  # overdamped_rules keeps omega*dt at or below this (Verlet limit is 2)
OVERDAMPED_FRICTION_DT = 0.2  # ... and friction*dt/mass at or below this (BAOAB keeps time right)

BASIN_GRID = (160, 100)
BASIN_MAX_TICKS = 3000
BASIN_TOLERANCE = 1e-6  # |grad V| and per-tick displacement below this: settled
BASIN_CHECK_EVERY = 10  # ticks between settle checks (divergence is checked every tick)
BASIN_TRAP_FRACTION = 0.25  # "trapped": within this fraction of the match radius of a listed minimum
BASIN_TRAP_STEP = 0.01  # ... and moving less than this fraction of the match radius per tick
BASIN_MATCH_FRACTION = 0.02  # match radius to a known minimum, as a fraction of the view diagonal
BASIN_MAX_CLUSTERS = 255  # discovered (unlisted) end points beyond this join the nearest cluster
DIVERGED = -1
MOVING = -2

HEAT_GRID = 256  # grid points per side for the Boltzmann prediction
HEAT_EDGE_MASS = 1e-6  # the region grows until the outer ring holds less than this of the mass
HEAT_MAX_DOUBLINGS = 8
HEAT_TOP_QUANTILE = 0.995  # default histogram range: min V to this quantile of predicted V
HEAT_BINS = 24
HEAT_MAX_CELL_MASS = 1e-3  # a cell holding more of the mass than this is split (narrow wells)
HEAT_SPLIT = 8  # each split cell becomes HEAT_SPLIT x HEAT_SPLIT cells
HEAT_SPLIT_ROUNDS = 3
HEAT_MAX_SPLIT_CELLS = 2000  # at most this many cells split per round (the heaviest)
_HEAT_CACHE_SIZE = 8

NA = "n/a"
OK = "ok"
WARN = "warn"
BAD = "bad"


# ================================================================================================
# Race
# ================================================================================================

def find_or_add_rule(world: World, rule: Rule) -> int:
    """Id of `rule` in world.rules, adding it when absent. A rule that steps the same way (the
    same name and effective parameters; the ones it does not read may differ) is reused."""
    want = (rule.name, rule.params())
    for i, r in enumerate(world.rules):
        if r == rule or (r.name, r.params()) == want:
            return i
    return world.add_rule(rule)


def last_ball_per_rule(world: World) -> dict[int, int]:
    """rule id -> row of the most recently dropped alive ball under that rule."""
    p = world.particles
    rows = np.flatnonzero(p.status == ALIVE)[::-1]  # newest first
    rids, first = np.unique(p.rule[rows], return_index=True)
    return {int(r): int(rows[i]) for r, i in zip(rids, first)}


# ================================================================================================
# Bridge: heavy-ball momentum <-> Newton with friction (semi-implicit Euler)
# ================================================================================================

def newton_to_momentum(dt: float, mass: float, friction: float) -> tuple[float, float, bool]:
    """newton(dt, mass, friction) -> (lr, beta, valid) with lr = dt^2/m, beta = 1 - friction dt/m.

    `valid` says whether beta lies in [0, 1): a momentum optimizer with those settings exists.
    (beta < 0 means friction so strong that one semi-implicit Euler step reverses velocity.)
    """
    lr = dt * dt / mass
    beta = 1.0 - friction * dt / mass
    return lr, beta, bool(0.0 <= beta < 1.0)


def verlet_to_momentum(dt: float, mass: float, friction: float) -> tuple[float, float, bool]:
    """newton with velocity Verlet / BAOAB (no noise) -> (lr, beta, valid), exactly:
    beta = exp(-friction dt / m), lr = (1 + beta) dt^2 / (2m). valid: beta < 1 (friction > 0)."""
    beta = math.exp(-friction * dt / mass)
    return (1.0 + beta) * dt * dt / (2.0 * mass), beta, bool(beta < 1.0)


def momentum_twin(rule: Rule) -> Rule | None:
    """The momentum (or gd) rule whose path is exactly that of a newton ball under `rule`
    (symplectic or verlet, seeded with `twin_buffer`), or None (explicit Euler, langevin with
    heat, no friction under Verlet, or friction dt/m >= 1 under symplectic Euler)."""
    if rule.name not in ("newton", "langevin") or rule.integrator == "euler" and rule.name == "newton":
        return None
    if rule.name == "langevin" and rule.temperature > 0.0:
        return None
    if rule.name == "newton" and rule.integrator == "symplectic":
        lr, beta, valid = newton_to_momentum(rule.dt, rule.mass, rule.friction)
    else:
        lr, beta, valid = verlet_to_momentum(rule.dt, rule.mass, rule.friction)
    if not valid:
        return None
    return Rule("momentum" if beta > 0.0 else "gd", lr=lr, beta=beta, dt=rule.dt)


def twin_buffer(rule: Rule, vel: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The momentum buffer u [k, 2] that makes the momentum twin of a newton ball (dropped with
    velocity vel [k, 2], gradient grad [k, 2] at the drop) follow it exactly from the first
    tick. Symplectic Euler: u = -m v / dt. Verlet / BAOAB: its first step is half a momentum
    step (the kick is half), so u = -(m v / dt + g / 2) / beta."""
    vel = np.asarray(vel, dtype=np.float64)
    u = vel * (-rule.mass / rule.dt)
    if rule.integrator == "symplectic" and rule.name == "newton":
        return u
    beta = math.exp(-rule.friction * rule.dt / rule.mass)
    return (u - 0.5 * np.asarray(grad, dtype=np.float64)) / beta


def bridge(rule: Rule) -> dict[str, Any]:
    """The other side of the bridge for `rule`, as a dict the bridge panel prints.

    Keys: direction ("to_newton", "to_momentum" or None), lr, beta, dt, mass, friction,
    integrator, exact (the two paths coincide to rounding), valid, twin (a Rule or None),
    text (a one-line explanation). Numbers that do not apply are nan. Newton with symplectic
    Euler is momentum(lr = dt²/m, beta = 1 - friction dt/m); with velocity Verlet / BAOAB it is
    momentum(beta = exp(-friction dt/m), lr = (1 + beta) dt²/2m), both exact (the buffer seeded
    at the drop, `twin_buffer`); explicit Euler has only the first-order numbers.
    """
    nan = float("nan")
    out: dict[str, Any] = dict(direction=None, lr=nan, beta=nan, dt=nan, mass=nan, friction=nan,
                               integrator="symplectic", exact=False, valid=False, twin=None, text="")
    if rule.name in TWIN_RULES:
        beta = rule.beta if rule.name == "momentum" else 0.0
        twin = newton_twin(rule)
        out.update(direction="to_newton", lr=rule.lr, beta=beta, dt=twin.dt, mass=twin.mass,
                   friction=twin.friction, exact=True, valid=True, twin=twin)
        what = "heavy-ball momentum" if rule.name == "momentum" else "gd (beta = 0)"
        out["text"] = (f"{what} = Newton with mass dt²/lr and friction (1−β)·dt/lr, "
                       "semi-implicit Euler: same path, tick for tick")
    elif rule.name in ("newton", "langevin"):  # (not every rule with a velocity: the marble is not)
        integ = "verlet" if rule.name == "langevin" else rule.integrator
        if integ == "verlet":
            lr, beta, valid = verlet_to_momentum(rule.dt, rule.mass, rule.friction)
        else:
            lr, beta, valid = newton_to_momentum(rule.dt, rule.mass, rule.friction)
        twin = momentum_twin(rule)
        exact = twin is not None
        out.update(direction="to_momentum", lr=lr, beta=beta, dt=rule.dt, mass=rule.mass,
                   friction=rule.friction, integrator=integ, exact=exact, valid=valid)
        if valid:
            out["twin"] = twin if twin is not None else Rule(
                "momentum" if beta > 0.0 else "gd", lr=lr, beta=max(beta, 0.0), dt=rule.dt)
        if integ == "verlet" and exact:
            out["text"] = ("Newton with friction, velocity Verlet / BAOAB, is exactly momentum(β = "
                           "exp(−γ·dt/m), lr = (1+β)·dt²/2m), its buffer seeded at the drop")
        elif integ == "verlet":
            out["text"] = ("heat adds noise: the mean path is momentum(β = exp(−γ·dt/m), "
                           "lr = (1+β)·dt²/2m)" if valid else
                           "no friction: β = 1, no momentum twin (torch needs β < 1)")
        elif integ == "symplectic":
            out["text"] = ("Newton with friction, semi-implicit Euler, is exactly momentum(lr = dt²/m, "
                           "β = 1 − γ·dt/m)" if valid else
                           "friction·dt/mass ≥ 1: overdamped past one step, no momentum twin (β < 0)")
        else:
            out["text"] = ("explicit Euler: the force acts one tick late, no exact momentum twin; "
                           "to first order in dt, momentum(lr = dt²/m, β = 1 − γ·dt/m)")
    elif rule.name == "newton_method":
        out["text"] = ("Newton's method is Newton's law with the Hessian H as a position-dependent "
                       "mass matrix, overdamped: friction·x' = −H⁻¹∇V, one Euler step of lr")
    elif rule.name == "nesterov_ode":
        out["text"] = ("Nesterov's momentum in the small-step limit: Newton's law (mass 1) with "
                       "friction 3/t that fades as the ball's own time t grows")
    elif rule.name == "marble":
        out["text"] = ("a marble on the surface z = V is not Newton's law in the plane: on a slope s "
                       "the pull along −∇V is g·s/(1+s²), so no momentum twin")
    else:
        out["text"] = f"{rule.name}: no exact Newtonian twin (only gd and heavy-ball momentum)"
    return out


def drop_with_twin(world: World, pos: np.ndarray, vel: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Drop balls at pos [k, 2] (velocity vel [k, 2]) under the current rule, and each one's exact
    twin beside it: a gd / momentum ball gets its Newtonian twin (sim.dynamics.newton_twin:
    symplectic, mass dt^2/lr, friction (1-beta) dt/lr); a newton ball (symplectic or Verlet)
    gets its momentum twin (`momentum_twin`) with the buffer seeded by `twin_buffer`. The twin
    rule is registered once in world.rules and reused. Returns (ball rows [k], twin rows [k]);
    twin rows are empty when the current rule has no exact twin.
    """
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
    rule = world.rule
    s = world.drop(pos, None if vel is None else np.asarray(vel, dtype=np.float64).reshape(-1, 2),
                   rule_id=0)
    balls = np.arange(s.start, s.stop)
    if rule.name in TWIN_RULES:
        tid = find_or_add_rule(world, newton_twin(rule))
        tvel = None
        if vel is not None and rule.name == "momentum":
            tvel = -world.particles.buf_a[s] * (rule.lr / rule.dt)  # v = -lr u / dt
        t = world.drop(pos, tvel, rule_id=tid)
        return balls, np.arange(t.start, t.stop)
    twin = momentum_twin(rule)
    if twin is None:
        return balls, np.zeros(0, dtype=np.intp)
    tid = find_or_add_rule(world, twin)
    t = world.drop(pos, rule_id=tid)
    if twin.name == "momentum":
        world.particles.buf_a[t] = twin_buffer(rule, world.particles.vel[s],
                                               world.potential.grad(pos))
    return balls, np.arange(t.start, t.stop)


def overdamped_lr(rule: Rule) -> float:
    """The gd step a newton ball's path approaches as its mass goes to 0 at this friction, dt
    and integrator: the heavy-ball step lr / (1 - beta) of its exact momentum twin. Symplectic
    and explicit Euler: dt / friction (gradient flow's Euler step, exactly). Verlet / BAOAB:
    (1 + beta) dt^2 / (2m (1 - beta)) = (c/2) coth(c/2) dt / friction with c = friction dt/m, a
    little more than dt/friction (1.0033x at c = 0.2): BAOAB's clock in the overdamped limit.
    nan without friction."""
    if not rule.newtonian or rule.friction <= 0.0:
        return float("nan")
    integ = "verlet" if rule.name == "langevin" else rule.integrator
    if integ != "verlet":
        return rule.dt / rule.friction
    c = rule.friction * rule.dt / rule.mass
    half = 0.5 * c
    return rule.dt / rule.friction * (half / math.tanh(half) if half > 1e-8 else 1.0 + half * half / 3)


def flow_partner(rule: Rule) -> Rule:
    """gd with the newton rule's overdamped step (`overdamped_lr`): the path a newton ball meets
    as its mass goes to 0 at fixed friction and fixed c = friction dt/m (the mass control)."""
    return Rule("gd", lr=overdamped_lr(rule), dt=rule.dt)


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


def gradient_flow_rule(friction: float, dt: float) -> Rule:
    """Gradient flow dx/dt = -grad V / friction, sampled every dt: Rule('gd', lr = dt/friction).

    The overdamped limit (mass -> 0 at fixed friction) of m x'' = -grad V - friction x'.
    """
    return Rule("gd", lr=dt / friction, dt=dt)


def overdamped_rules(friction: float, mass: float, dt: float, lam_max: float) -> tuple[Rule, Rule | None]:
    """A Newton rule at small mass and its gradient-flow limit, advancing the same time per tick.

    As mass -> 0 at fixed dt two things go wrong: omega dt = dt sqrt(lam_max / m) passes
    Verlet's limit 2, and once friction dt / m is not small, BAOAB's exact friction step keeps
    the path but not its clock (its overdamped limit moves with step dt^2/2m, not dt/friction).
    So dt is lowered to keep omega dt <= OVERDAMPED_OMEGA_DT and friction dt / m <=
    OVERDAMPED_FRICTION_DT; both rules use that dt, so a tick is the same simulated time for
    both balls. lam_max: the largest curvature expected on the path. The partner is gd with
    the newton ball's own overdamped step (`flow_partner`), so the gap between the two falls
    towards 0 as the mass does (with lr = dt/friction it would stall near 1e-2: BAOAB's clock
    runs (c/2) coth(c/2) = 1.0033x fast at c = 0.2). Without friction there is no such limit:
    the partner is None.
    """
    if friction > 0.0:
        dt = min(dt, OVERDAMPED_FRICTION_DT * mass / friction)
    if lam_max > 0.0 and math.isfinite(lam_max):
        dt = min(dt, OVERDAMPED_OMEGA_DT * math.sqrt(mass / lam_max))
    newton = Rule("newton", mass=mass, friction=friction, dt=dt, integrator="verlet")
    return newton, (flow_partner(newton) if friction > 0.0 else None)


# ================================================================================================
# Energy ledger
# ================================================================================================

def _rows(world: World, rows: Any) -> np.ndarray:
    """Normalize a row selection (None, slice, int, index array or bool mask) to indices [k]."""
    n = world.n
    if rows is None:
        return np.arange(n)
    if isinstance(rows, slice):
        return np.arange(n)[rows]
    a = np.asarray(rows)
    if a.dtype == bool:
        return np.flatnonzero(a)
    a = a.reshape(-1).astype(np.intp)
    return a[(a >= 0) & (a < n)]


LEDGER_KEYS = ("kinetic", "potential", "dissipated", "initial", "drift")


def _ledger_parts(world: World, rows: Any) -> tuple[np.ndarray | None, np.ndarray, dict | None]:
    """(selected row indices, None for all; `applies` over the selection; the five per-row
    arrays over the rows that apply, None when none do). Works on views when every ball
    applies (no copies), and evaluates V only where it applies."""
    p = world.particles
    newt = np.array([r.newtonian for r in world.rules], dtype=bool)
    mass = np.array([r.mass for r in world.rules], dtype=np.float64)
    idx = None if rows is None else _rows(world, rows)
    rid = p.rule if idx is None else p.rule[idx]
    status = p.status if idx is None else p.status[idx]
    applies = newt[rid] & (status == ALIVE)
    k = int(np.count_nonzero(applies))
    if not k:
        return idx, applies, None
    if idx is None and k == world.n:
        take: Any = slice(None)  # every row applies: work on views
    else:
        take = np.flatnonzero(applies) if idx is None else idx[applies]
    pos, vel = p.pos[take], p.vel[take]
    m = mass[p.rule[take]] if len(np.unique(mass[newt])) > 1 else float(mass[newt][0])
    with np.errstate(all="ignore"):
        kinetic = np.einsum("ij,ij->i", vel, vel)
        kinetic *= 0.5 * m
        potential = world.potential.value(pos)
        dissipated, initial = p.dissipated[take], p.energy0[take]
        # the drift row by row (summed later): the difference of the big sums would lose the
        # digits that matter when V has a large offset
        drift = kinetic + potential
        drift += dissipated
        drift -= initial
        rid_take = p.rule[take]
        for k_rule, r in enumerate(world.rules):  # rules that own their energy (per rule)
            if not newt[k_rule]:
                continue
            rows_k = np.flatnonzero(rid_take == k_rule) if len(np.unique(rid_take)) > 1 else \
                (slice(None) if int(rid_take[0]) == k_rule else np.zeros(0, np.intp))
            got = r.spec.energy(r, pos[rows_k], vel[rows_k], world.potential)
            if got is not None:
                kinetic[rows_k], potential[rows_k] = got
                drift = kinetic + potential
                drift += dissipated
                drift -= initial
    parts = dict(kinetic=kinetic, potential=potential, dissipated=dissipated, initial=initial,
                 drift=drift)
    return idx, applies, parts


def _ledger_sums(applies: np.ndarray, parts: dict | None) -> dict[str, Any]:
    k = int(np.count_nonzero(applies))
    total: dict[str, Any] = {"count": k, "na": int(len(applies) - k)}
    for key in LEDGER_KEYS:
        total[key] = float(parts[key].sum()) if parts is not None else math.nan
    return total


def ledger(world: World, rows: Any = None) -> dict[str, Any]:
    """Energy bookkeeping for the selected particles (default: all).

    Per row (arrays [k]; nan where it does not apply: optimizer balls have no mass, diverged
    balls no energy): kinetic 1/2 m |v|^2, potential V(x), dissipated (taken out by friction
    since the drop or the last ledger reset; negative when heat put energy in), initial
    (total energy then), drift = kinetic + potential + dissipated - initial. `applies` [k] bool.
    `total`: the same five sums over the rows that apply, plus `count` (how many) and `na`
    (how many selected rows are optimizer or diverged balls).
    """
    idx, applies, parts = _ledger_parts(world, rows)
    out: dict[str, Any] = dict(rows=np.arange(world.n) if idx is None else idx, applies=applies)
    for key in LEDGER_KEYS:
        a = np.full(len(applies), np.nan)
        if parts is not None:
            a[applies] = parts[key]
        out[key] = a
    out["total"] = _ledger_sums(applies, parts)
    return out


def ledger_total(world: World, rows: Any = None) -> dict[str, Any]:
    """ledger(world, rows)["total"] without the per-row arrays (no NaN-filled copies), for the
    panel and its live plot, which need only these numbers every frame."""
    _idx, applies, parts = _ledger_parts(world, rows)
    return _ledger_sums(applies, parts)


# ================================================================================================
# Stability
# ================================================================================================

def hessian_eigs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of symmetric 2x2 matrices h [n, 2, 2]: (lam_max [n], lam_min [n]), by the
    one stable routine every panel uses (sim/eig2.py)."""
    return sym_eigvals(h)


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
    end of sim.stability.ratio_limits; explicit Euler also has a lower end when friction dt/m
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
    exact stable interval of the integrator, see sim.stability; for gd / momentum the values of
    their Newtonian twin, for which omega dt = sqrt(lr lam)). zeta: the continuous-time damping
    ratio friction / (2 sqrt(m lam_max)), kept as data only: a discrete map is classified by
    `regime` instead. status_lr_lam, status_omega_dt, status_zeta: "ok" / "warn" / "bad" /
    "n/a". Also every key of sim.stability.analyse (verdict, regime, ratios, limits, critical)
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


# ================================================================================================
# Basins
# ================================================================================================

class BasinJob:
    """Where a ball started at each point of a grid over `view` ends up, computed in slices.

    The grid holds gx * gy balls at cell centers, all under `rule` (langevin runs without its
    noise: the basins of the deterministic skeleton), stepped with sim.dynamics.step on this
    job's own buffers (not a World). Call `advance(budget)` between frames; read `labels`
    [gx, gy] (x first, like pygame.surfarray): index into `centers` [m, 2] (the potential's
    listed minima first, then end points found by clustering), DIVERGED (-1), or MOVING (-2:
    not settled yet, or still moving at max_ticks). A ball is settled when |grad V| and its
    last step are both below `tolerance` (world units per tick for the step).
    """

    def __init__(self, potential: Potential, rule: Rule, view: View,
                 grid: tuple[int, int] = BASIN_GRID, max_ticks: int = BASIN_MAX_TICKS,
                 tolerance: float = BASIN_TOLERANCE, match_radius: float | None = None,
                 seed: int = 0, check_every: int = BASIN_CHECK_EVERY,
                 capture: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> None:
        self.potential = potential
        self.rule = rule.with_(temperature=0.0) if rule.name == "langevin" else rule
        # capture(pos [k, 2], vel [k, 2]) -> [k] index of a listed minimum the ball can no longer
        # leave, or -1 (see sim.basin_levels.energy_traps); checked with the settle test
        self.capture = capture
        self.view = tuple(float(v) for v in view)
        gx, gy = int(grid[0]), int(grid[1])
        if gx < 1 or gy < 1:
            raise ValueError("basin grid must be at least 1 x 1")
        self.grid = (gx, gy)
        self.max_ticks = int(max_ticks)
        self.tolerance = float(tolerance)
        x0, x1, y0, y1 = self.view
        self.match_radius = (float(match_radius) if match_radius is not None
                             else BASIN_MATCH_FRACTION * math.hypot(x1 - x0, y1 - y0))
        self.check_every = max(int(check_every), 1)
        self.xs = x0 + (np.arange(gx) + 0.5) * ((x1 - x0) / gx)  # [gx] cell centers
        self.ys = y0 + (np.arange(gy) + 0.5) * ((y1 - y0) / gy)  # [gy]
        X, Y = np.meshgrid(self.xs, self.ys, indexing="ij")
        self.points = np.column_stack([X.ravel(), Y.ravel()])  # [gx*gy, 2], row i*gy + j
        n = len(self.points)
        self.end = self.points.copy()  # [n, 2] last position of each ball
        self._labels = np.full(n, MOVING, dtype=np.int32)
        minima = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
        self.n_listed = len(minima)
        self._centers: list[np.ndarray] = [m for m in minima]
        self.ticks = 0
        self.cancelled = False
        self._rng = np.random.default_rng(seed)
        # compact state of the balls still moving; _idx maps compact rows to grid rows
        self._idx = np.arange(n)
        z = lambda: np.zeros((n, 2))  # noqa: E731
        self._s = State(self.points.copy(), z(), z(), z(), z(), np.zeros(n, dtype=np.int64),
                        np.zeros(n), z(), z(), False,
                        bufs={b: np.zeros((n, *shape), dtype) for b, _, shape, dtype in buffer_fields(self.rule)})
        self._prev = z()

    # -- reading -----------------------------------------------------------------------------
    @property
    def labels(self) -> np.ndarray:
        """[gx, gy] int32 label per grid point (see the class docstring)."""
        return self._labels.reshape(self.grid)

    @property
    def centers(self) -> np.ndarray:
        """[m, 2] the point each label >= 0 stands for (listed minima, then clusters)."""
        return np.array(self._centers, dtype=np.float64).reshape(-1, 2)

    @property
    def done(self) -> bool:
        return len(self._idx) == 0 or self.ticks >= self.max_ticks

    @property
    def running(self) -> bool:
        return not self.done and not self.cancelled

    @property
    def progress(self) -> float:
        """Fraction of the work done, in [0, 1]."""
        if self.done:
            return 1.0
        return min(self.ticks / max(self.max_ticks, 1), 1.0)

    # -- commands ----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop: later advance() calls do nothing; labels keep what was found so far."""
        self.cancelled = True

    def advance(self, budget_ticks: int, max_seconds: float | None = None) -> float:
        """Run up to `budget_ticks` ticks over every ball still moving (and stop early once
        `max_seconds` of wall time have passed). Returns the progress in [0, 1]."""
        if self.cancelled or self.done:
            return self.progress
        t_end = None if max_seconds is None else time.perf_counter() + max_seconds
        todo = min(int(budget_ticks), self.max_ticks - self.ticks)
        with np.errstate(all="ignore"):
            while todo > 0 and len(self._idx):
                k = min(todo, self.check_every - self.ticks % self.check_every)
                self._run(k)
                todo -= k
                if self.ticks % self.check_every == 0 or self.ticks >= self.max_ticks:
                    self._settle()
                if t_end is not None and time.perf_counter() >= t_end:
                    break
        if self.done and len(self._idx):
            self.end[self._idx] = self._s.pos  # still moving at max_ticks: label stays MOVING
        return self.progress

    # -- internals ---------------------------------------------------------------------------
    def _run(self, k: int) -> None:
        """k ticks; the last one records the previous position; divergence checked each tick."""
        for i in range(k):
            s = self._s  # _finish replaces the compact state
            if i == k - 1:
                np.copyto(self._prev, s.pos)
            s.grad_valid = step(self.rule, s, self.potential, self._rng)
            self.ticks += 1
            np.abs(s.pos, out=s.tmp)
            bad = ~(s.tmp[:, 0] + s.tmp[:, 1] <= BOUND)
            if bad.any():
                self._finish(bad, DIVERGED)
                if not len(self._idx):
                    return

    def _finish(self, mask: np.ndarray, label: int | np.ndarray) -> None:
        """Retire the compact rows in mask [k] with label(s); keep the others compact."""
        rows = self._idx[mask]
        self._labels[rows] = label
        pos = self._s.pos[mask]
        finite = np.isfinite(pos).all(axis=1)
        self.end[rows[finite]] = pos[finite]
        keep = ~mask
        s = self._s
        self._idx = self._idx[keep]
        self._s = State(s.pos[keep], s.vel[keep], s.grad[keep], s.buf_a[keep], s.buf_b[keep],
                        s.steps[keep], s.dissipated[keep], s.tmp[keep], s.tmp2[keep], s.grad_valid,
                        bufs={b: a[keep] for b, a in s.bufs.items()})
        self._prev = self._prev[keep]

    def _settle(self) -> None:
        s = self._s
        if not len(self._idx):
            return
        if self.capture is not None:
            got = (self.capture(s.pos, s.vel, s.buf_b) if getattr(self.capture, "needs_state", False)
                   else self.capture(s.pos, s.vel))  # AdaGrad's traps read its sums
            if (got >= 0).any():
                self._finish(got >= 0, got[got >= 0])
                s = self._s
                if not len(self._idx):
                    return
        g = self.potential.grad(s.pos)
        gn = np.hypot(g[:, 0], g[:, 1])
        dn = np.hypot(s.pos[:, 0] - self._prev[:, 0], s.pos[:, 1] - self._prev[:, 1])
        settled = (gn <= self.tolerance) & (dn <= self.tolerance)
        if self.n_listed:
            # trapped: slow and deep inside a listed minimum's match radius (an underdamped
            # Newtonian ball rings down there for a long time before meeting the tolerance)
            m = np.asarray(self._centers[: self.n_listed])
            d2 = ((s.pos[:, None, :] - m[None, :, :]) ** 2).sum(axis=2).min(axis=1)
            r = BASIN_TRAP_FRACTION * self.match_radius
            settled |= (d2 <= r * r) & (dn <= BASIN_TRAP_STEP * self.match_radius)
        if settled.any():
            self._finish(settled, self._classify(s.pos[settled]))

    def _classify(self, pts: np.ndarray) -> np.ndarray:
        """Label end points pts [k, 2]: nearest center within match_radius, else new clusters."""
        out = np.full(len(pts), MOVING, dtype=np.int32)
        r2 = self.match_radius ** 2
        todo = np.ones(len(pts), dtype=bool)
        while todo.any():
            if self._centers:
                c = np.array(self._centers)
                d2 = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)  # [k, m]
                near = d2.argmin(axis=1)
                hit = todo & (d2[np.arange(len(pts)), near] <= r2)
                out[hit] = near[hit]
                todo &= ~hit
                if todo.any() and len(self._centers) >= self.n_listed + BASIN_MAX_CLUSTERS:
                    out[todo] = near[todo]
                    break
            if todo.any():
                self._centers.append(pts[np.flatnonzero(todo)[0]].copy())
        return out


# ================================================================================================
# Heat
# ================================================================================================

_heat_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def heat_values(world: World) -> np.ndarray:
    """V [k] at every alive langevin particle (the balls that should reach exp(-V/T))."""
    p = world.particles
    lang = np.array([r.name == "langevin" for r in world.rules], dtype=bool)
    rows = np.flatnonzero(lang[p.rule.astype(np.intp)] & (p.status == ALIVE))
    return world.potential.value(p.pos[rows])


def _split_heavy_cells(potential: Potential, temperature: float, px: np.ndarray, py: np.ndarray,
                       hxs: np.ndarray, hys: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cells (centres px, py [m], half sizes hxs, hys [m], V at the centre [m]) that might hold
    more than HEAT_MAX_CELL_MASS of exp(-V/T) split HEAT_SPLIT x HEAT_SPLIT, a few rounds
    (narrow wells and cold distributions resolved). Returns the new (px, py, hxs, hys, v)."""
    for _ in range(HEAT_SPLIT_ROUNDS):
        if not len(v):
            break
        g = np.abs(potential.grad(np.column_stack([px, py])))
        drop = g[:, 0] * hxs + g[:, 1] * hys  # how far V may fall inside the cell (linear)
        drop[~np.isfinite(drop)] = 0.0
        with np.errstate(all="ignore"):
            logw = -(v - v.min()) / temperature + np.log(hxs * hys)
            top = logw.max()
            w = np.exp(logw - top)
            w_up = np.exp(logw + drop / temperature - top) / w.sum()  # mass it might hold
        heavy = np.flatnonzero(w_up > HEAT_MAX_CELL_MASS)
        if not len(heavy):
            break
        heavy = heavy[np.argsort(w_up[heavy])[::-1][:HEAT_MAX_SPLIT_CELLS]]
        k = HEAT_SPLIT
        off = (np.arange(k) + 0.5) * (2.0 / k) - 1.0  # [k] sub-cell centers in [-1, 1]
        nx = (px[heavy, None, None] + hxs[heavy, None, None] * off[None, :, None]
              + 0.0 * off[None, None, :]).ravel()
        ny = (py[heavy, None, None] + 0.0 * off[None, :, None]
              + hys[heavy, None, None] * off[None, None, :]).ravel()
        nhx = np.repeat(hxs[heavy] / k, k * k)
        nhy = np.repeat(hys[heavy] / k, k * k)
        nv = potential.value(np.column_stack([nx, ny]))
        rest = np.ones(len(v), dtype=bool)
        rest[heavy] = False
        px, py = np.concatenate([px[rest], nx]), np.concatenate([py[rest], ny])
        hxs, hys = np.concatenate([hxs[rest], nhx]), np.concatenate([hys[rest], nhy])
        v = np.concatenate([v[rest], nv])
        good = np.isfinite(v)
        px, py, hxs, hys, v = px[good], py[good], hxs[good], hys[good], v[good]
    return px, py, hxs, hys, v


def _boltzmann_samples(potential: Potential, temperature: float, view: View,
                       resolution: int = HEAT_GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells that hold the Boltzmann mass: V at the center [m], half-spread of V across the
    cell [m, 2] (|dV/dx| hx, |dV/dy| hy with hx, hy the half sizes), weights [m] (sum 1).

    A resolution x resolution grid starts at `view` and doubles around its center until its
    outer ring holds less than HEAT_EDGE_MASS of exp(-V/T); it then shrinks to the box that
    holds the mass. Cells holding more than HEAT_MAX_CELL_MASS are split HEAT_SPLIT x
    HEAT_SPLIT (a few rounds), so narrow wells and cold distributions are resolved too.
    Cached per (potential, T, view).
    """
    key = (potential.cache_key, float(temperature), tuple(float(v) for v in view), int(resolution))
    hit = _heat_cache.get(key)
    if hit is not None:
        return hit
    x0, x1, y0, y1 = (float(v) for v in view)
    cx, cy, hx, hy = 0.5 * (x0 + x1), 0.5 * (y0 + y1), 0.5 * (x1 - x0), 0.5 * (y1 - y0)

    def grid(cx: float, cy: float, hx: float, hy: float):
        xs = cx + hx * ((np.arange(resolution) + 0.5) * (2.0 / resolution) - 1.0)  # cell centers
        ys = cy + hy * ((np.arange(resolution) + 0.5) * (2.0 / resolution) - 1.0)
        v = potential.value_grid(xs, ys)
        with np.errstate(all="ignore"):
            vmin = np.nanmin(np.where(np.isfinite(v), v, np.nan)) if np.isfinite(v).any() else 0.0
            w = np.exp(-(v - vmin) / temperature)
        w[~np.isfinite(w)] = 0.0
        return xs, ys, v, w

    for _ in range(HEAT_MAX_DOUBLINGS + 1):
        xs, ys, v, w = grid(cx, cy, hx, hy)
        total = w.sum()
        ring = w[0].sum() + w[-1].sum() + w[1:-1, 0].sum() + w[1:-1, -1].sum()
        if total > 0 and ring <= HEAT_EDGE_MASS * total:
            break
        hx, hy = 2 * hx, 2 * hy
    if w.sum() > 0:  # shrink to the cells that hold all but HEAT_EDGE_MASS of the mass
        def span(marg: np.ndarray, g: np.ndarray) -> tuple[float, float]:
            c = np.cumsum(marg) / marg.sum()
            lo = max(int(np.searchsorted(c, 0.5 * HEAT_EDGE_MASS)) - 1, 0)
            hi = min(int(np.searchsorted(c, 1 - 0.5 * HEAT_EDGE_MASS)) + 1, len(g) - 1)
            return float(g[lo]), float(g[hi])
        ax0, ax1 = span(w.sum(axis=1), xs)
        ay0, ay1 = span(w.sum(axis=0), ys)
        if (ax1 - ax0) < hx and (ay1 - ay0) < hy and ax1 > ax0 and ay1 > ay0:
            hx, hy = 0.5 * (ax1 - ax0), 0.5 * (ay1 - ay0)
            xs, ys, v, w = grid(0.5 * (ax0 + ax1), 0.5 * (ay0 + ay1), hx, hy)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    keep = (w > 0).ravel()
    px, py, v = X.ravel()[keep], Y.ravel()[keep], v.ravel()[keep]
    hxs = np.full(len(v), hx / resolution)  # half cell sizes [m]
    hys = np.full(len(v), hy / resolution)
    px, py, hxs, hys, v = _split_heavy_cells(potential, temperature, px, py, hxs, hys, v)
    with np.errstate(all="ignore"):
        logw = -(v - v.min()) / temperature + np.log(hxs * hys) if len(v) else v
        w = np.exp(logw - logw.max()) if len(v) else v
    spread = np.abs(potential.grad(np.column_stack([px, py]))) * np.column_stack([hxs, hys])
    spread[~np.isfinite(spread)] = 0.0
    out = (v, spread, w / w.sum() if len(w) else w)
    if len(_heat_cache) >= 4 * _HEAT_CACHE_SIZE:
        _heat_cache.pop(next(iter(_heat_cache)))
    _heat_cache[key] = out
    return out


def _cell_cdf(t: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """P(U1 + U2 <= t) for U1 ~ U(-p, p), U2 ~ U(-q, q), all arrays [m] (p >= q >= 0).

    The distribution of a linear function over a rectangle (a trapezoid): F(t) =
    (H(t + p) - H(t - p)) / 2p with H the antiderivative of U2's CDF; a step when p ~ 0.
    """
    def h(u: np.ndarray) -> np.ndarray:
        qs = np.where(q > 0, q, 1.0)
        mid = (u + q) ** 2 / (4.0 * qs)
        return np.where(u <= -q, 0.0, np.where(u >= q, u, mid))

    with np.errstate(all="ignore"):
        wide = p > 1e-9 * np.maximum(np.abs(t), 1e-300)
        ps = np.where(wide, p, 1.0)
        f = (h(t + ps) - h(t - ps)) / (2.0 * ps)
    return np.clip(np.where(wide, f, (t >= 0).astype(np.float64)), 0.0, 1.0)


def predicted_v_density(potential: Potential, temperature: float, view: View,
                        edges: np.ndarray) -> np.ndarray:
    """Density of V [b] in the bins `edges` [b+1] under p(x) ~ exp(-V/T), integrated on a grid
    (each cell spreads its weight over the range V takes across it). nan when T <= 0 or V is
    not bounded below."""
    edges = np.asarray(edges, dtype=np.float64)
    if not (temperature > 0 and math.isfinite(temperature) and potential.bounded_below):
        return np.full(len(edges) - 1, np.nan)
    v, spread, w = _boltzmann_samples(potential, temperature, view)
    if not len(v):
        return np.full(len(edges) - 1, np.nan)
    p = spread.max(axis=1)
    q = spread.min(axis=1)
    lo, hi = v - (p + q), v + (p + q)  # the range V takes across each cell
    order = np.argsort(hi)
    hi_sorted, w_cum = hi[order], np.concatenate([[0.0], np.cumsum(w[order])])
    below = np.empty(len(edges))  # mass with V <= edge
    for i, e in enumerate(edges):
        below[i] = w_cum[np.searchsorted(hi_sorted, e, side="right")]  # cells wholly below e
        cut = np.flatnonzero((lo < e) & (hi > e))  # cells that straddle e
        if len(cut):
            below[i] += np.dot(w[cut], _cell_cdf(e - v[cut], p[cut], q[cut]))
    return np.diff(below) / np.diff(edges)


def boltzmann_histogram(values: np.ndarray, potential: Potential, temperature: float,
                        view: View, bins: int | np.ndarray = HEAT_BINS
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histogram of V over the balls against the density of V predicted by p(x) ~ exp(-V/T).

    values [n]: V at the balls. bins: a count (range: min V to the HEAT_TOP_QUANTILE quantile
    of the predicted V) or edges [b+1]. Returns (edges [b+1], observed [b], predicted [b]),
    both densities per unit V over the whole distribution (a ball past the last edge counts in
    the normalization, not in a bar). predicted is nan when T <= 0 or the potential is not
    bounded below; observed is nan when no value is finite. The prediction is cached.
    """
    vals = np.asarray(values, dtype=np.float64).reshape(-1)
    vals = vals[np.isfinite(vals)]
    have_pred = temperature > 0 and math.isfinite(temperature) and potential.bounded_below
    if np.ndim(bins) == 0:
        b = max(int(bins), 1)
        ckey = ("edges", id(potential), potential.name, float(temperature),
                tuple(float(x) for x in view), b)
        edges = _heat_cache.get(ckey) if have_pred else None
        if edges is None:
            lo = hi = float("nan")
            if have_pred:
                vg, _, wg = _boltzmann_samples(potential, temperature, view)
                if len(vg):
                    order = np.argsort(vg)
                    cw = np.cumsum(wg[order])
                    lo = float(vg[order[0]])
                    listed = np.asarray(potential.minimum_values, dtype=np.float64)
                    listed = listed[np.isfinite(listed) & (listed <= lo)]
                    if len(listed):  # the grid's lowest cell center sits a little above the minimum
                        lo = float(listed.min())
                    hi = float(vg[order[min(np.searchsorted(cw, HEAT_TOP_QUANTILE), len(cw) - 1)]])
            if not math.isfinite(lo) and len(vals):
                lo, hi = float(vals.min()), float(np.quantile(vals, HEAT_TOP_QUANTILE))
            if not math.isfinite(lo):
                lo, hi = 0.0, 1.0
            if not hi > lo:
                hi = lo + 1.0
            edges = np.linspace(lo, hi, b + 1)
            if have_pred:
                _heat_cache[ckey] = edges
    else:
        edges = np.asarray(bins, dtype=np.float64)
    width = np.diff(edges)
    if len(vals):
        counts, _ = np.histogram(vals, bins=edges)
        observed = counts / (len(vals) * width)
    else:
        observed = np.full(len(width), np.nan)
    pkey = ("pred", id(potential), potential.name, float(temperature),
            tuple(float(x) for x in view), edges.tobytes())
    predicted = _heat_cache.get(pkey)
    if predicted is None:
        predicted = predicted_v_density(potential, temperature, view, edges)
        if len(_heat_cache) >= 4 * _HEAT_CACHE_SIZE:
            _heat_cache.pop(next(iter(_heat_cache)))
        _heat_cache[pkey] = predicted
    return edges, observed, predicted
