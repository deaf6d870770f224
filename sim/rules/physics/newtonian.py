"""Newton's law, m x'' = -grad V - friction x', under three integrators (newton), and with heat
(langevin, BAOAB). The newton family keeps `grad` = grad V(pos) cached between ticks, so a
Verlet tick costs one gradient evaluation."""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.linear import mat2

INTEGRATORS = ("verlet", "symplectic", "euler")
MASS = ParamSpec("mass", 1.0, lo=0.0, lo_ok=False, help="mass")
FRICTION = ParamSpec("friction", 0.5, lo=0.0, help="friction coefficient")
TEMPERATURE = ParamSpec("temperature", 0.1, lo=0.0, help="heat bath temperature")
DT = ParamSpec("dt", 0.01, lo=0.0, lo_ok=False, help="time step")
INTEGRATOR = ParamSpec("integrator", "verlet", kind=str, choices=INTEGRATORS, help="integrator")


def _sqnorm(v: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """|v|^2 per row: [n, 2] -> [n] (a fresh array), using scratch [n, 2] for the squares.

    (Faster than einsum or .sum(axis=1) on this shape.)"""
    np.multiply(v, v, out=scratch)
    return scratch[:, 0] + scratch[:, 1]


def _kick(r, s, h: float) -> None:
    """v <- v - h grad V(x) / m, with the cached gradient."""
    np.multiply(s.grad, h / r.mass, out=s.tmp)
    s.vel -= s.tmp


def _drift(s, h: float) -> None:
    np.multiply(s.vel, h, out=s.tmp)
    s.pos += s.tmp


def _ou(r, s, temperature: float, rng) -> None:
    """Exact friction and heat over dt: v <- c1 v + sqrt((1 - c1^2) T / m) xi, c1 = exp(-friction dt / m).

    Adds the kinetic energy this takes out to `dissipated` (with heat it can be negative).
    """
    c1 = math.exp(-r.friction * r.dt / r.mass)
    ke_before = _sqnorm(s.vel, s.tmp)
    s.vel *= c1
    noise = rng.standard_normal(s.vel.shape)
    noise *= math.sqrt((1.0 - c1 * c1) * temperature / r.mass)
    s.vel += noise
    ke_before -= _sqnorm(s.vel, s.tmp)
    ke_before *= 0.5 * r.mass
    s.dissipated += ke_before


def step_verlet(r, s, V, rng, temperature: float = 0.0) -> bool:
    """BAOAB (Leimkuhler & Matthews): kick, half drift, exact friction (+ noise), half drift, kick.

    With friction 0 and no heat this is velocity Verlet (symplectic, second order). Without
    heat the two half drifts fold into one: x += (dt/2)(1 + c1) v, then v *= c1.
    """
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    h = 0.5 * r.dt
    _kick(r, s, h)
    if temperature > 0.0:
        _drift(s, h)
        _ou(r, s, temperature, rng)
        _drift(s, h)
    else:
        c1 = math.exp(-r.friction * r.dt / r.mass)
        if c1 != 1.0:
            ke = _sqnorm(s.vel, s.tmp)
            ke *= 0.5 * r.mass * (1.0 - c1 * c1)
            s.dissipated += ke
        _drift(s, h * (1.0 + c1))
        if c1 != 1.0:
            s.vel *= c1
    V.grad(s.pos, out=s.grad)
    _kick(r, s, h)
    return True


def _velocity_change(r, s, V) -> None:
    """s.tmp <- (dt/m)(grad V(x) + friction v) from the current state (grad cached in s.grad):
    the velocity both Euler integrators take off in one tick."""
    V.grad(s.pos, out=s.grad)
    np.multiply(s.vel, r.friction, out=s.tmp)
    s.tmp += s.grad
    s.tmp *= r.dt / r.mass


def step_symplectic(r, s, V, rng) -> bool:
    """Semi-implicit Euler: v <- v - (dt/m)(grad V(x) + friction v); x <- x + dt v."""
    _velocity_change(r, s, V)
    if r.friction:
        # friction's work over the step: friction * v_old . (x_new - x_old) = f dt v_old . v_new
        np.subtract(s.vel, s.tmp, out=s.tmp2)  # v_new
        s.tmp2 *= s.vel
        work = s.tmp2[:, 0] + s.tmp2[:, 1]  # v_old . v_new
        work *= r.friction * r.dt
        s.dissipated += work
    s.vel -= s.tmp
    _drift(s, r.dt)
    return False  # grad is at the old position


def step_euler(r, s, V, rng) -> bool:
    """Explicit Euler from the old state: x <- x + dt v; v <- v - (dt/m)(grad V(x_old) + f v_old)."""
    _velocity_change(r, s, V)
    if r.friction:
        s.dissipated += r.friction * r.dt * _sqnorm(s.vel, s.tmp2)
    np.multiply(s.vel, r.dt, out=s.tmp2)
    s.pos += s.tmp2
    s.vel -= s.tmp
    return False  # grad is at the old position


def step_newton(r, s, V, rng) -> bool:
    if r.integrator == "symplectic":
        return step_symplectic(r, s, V, rng)
    if r.integrator == "euler":
        return step_euler(r, s, V, rng)
    return step_verlet(r, s, V, rng)


def step_langevin(r, s, V, rng) -> bool:
    return step_verlet(r, s, V, rng, temperature=r.temperature)


def newton_map(r, lam, integrator: str | None = None):
    """State (x, v) along curvature lam, c = friction dt / m, w2 = lam dt^2 / m.
    symplectic: v' = v - (dt/m)(lam x + f v), x' = x + dt v'; euler: x' = x + dt v, v' the same
    from the old state; verlet (BAOAB without noise): kick dt/2, drift dt(1 + c1)/2, v *= c1
    (c1 = exp(-c)), kick dt/2."""
    integ = integrator or r.integrator
    dt, m, f = r.dt, r.mass, r.friction
    k = dt * lam / m  # velocity change per unit x over dt
    c = f * dt / m
    if integ == "symplectic":
        return mat2(1.0 - dt * k, dt * (1.0 - c), -k, 1.0 - c)
    if integ == "euler":
        return mat2(1.0, dt, -k, 1.0 - c)
    c1 = np.exp(-c)
    h = 0.5 * dt * (1.0 + c1)  # the folded drift
    x_x, x_v = 1.0 - h * 0.5 * k, h  # after kick and drift: x' = (1 - h k/2) x + h v
    v_x, v_v = -0.5 * k * c1, c1  # ... v = c1 (v - k/2 x)
    return mat2(x_x, x_v, v_x - 0.5 * k * x_x, v_v - 0.5 * k * x_v)


def newton_reading(r) -> Reading:
    return Reading("a ball of mass m under the force -grad V and friction -f v",
                   {"mass": r.mass, "friction": r.friction, "dt": r.dt})


NEWTON = RuleSpec(
    name="newton", family=Family.NEWTON, group="newton", color=(255, 72, 64),
    summary="m x'' = -grad V - friction x'  (--integrator verlet|symplectic|euler)",
    params=(MASS, FRICTION, DT, INTEGRATOR), step=step_newton, timed=True, newtonian=True,
    carry="velocity", linear_map=newton_map, plane="newton", reading=newton_reading,
)
LANGEVIN = RuleSpec(
    name="langevin", family=Family.NEWTON, group="newton", color=(255, 170, 190),
    summary="newton + thermal noise at --temperature (BAOAB); samples exp(-V/T)",
    params=(MASS, FRICTION, TEMPERATURE, DT), step=step_langevin, timed=True, newtonian=True,
    carry="velocity", plane="newton", linear_map=lambda r, lam: newton_map(r, lam, "verlet"),  # the mean's map
    reading=lambda r: Reading("a ball of mass m with friction f in a heat bath at temperature T "
                              "(noise sqrt(2 f T) per unit time)",
                              {"mass": r.mass, "friction": r.friction, "temperature": r.temperature}),
)
SPECS = (NEWTON, LANGEVIN)
