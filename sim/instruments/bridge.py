"""The bridge: heavy-ball momentum is Newton with friction; twins, flow partners, the overdamped limit."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.rules.dynamics import Rule, newton_twin


TWIN_RULES = ("gd", "momentum")  # optimizers whose Newtonian twin is exact (semi-implicit Euler)
OVERDAMPED_OMEGA_DT = 1.0  # overdamped_rules keeps omega*dt at or below this (Verlet limit is 2)
OVERDAMPED_FRICTION_DT = 0.2  # ... and friction*dt/mass at or below this (BAOAB keeps time right)


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
