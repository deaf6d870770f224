"""A marble: a point mass m on the surface z = V(x, y) under gravity g (down the z axis) with a
drag -friction X' on its 3D velocity X' = (q', grad V . q').

The ball's position q = (x, y) and in-plane velocity q' are the state (s.pos, s.vel; the height
is V(q), the vertical velocity grad V . q'). The constrained Lagrangian
L = m/2 (|q'|^2 + (grad V . q')^2) - m g V(q), with the drag's generalized force
-friction (I + a a^T) q' (a = grad V), gives
    (I + a a^T) q'' = -a (g + q'^T H q') - (friction/m) (I + a a^T) q',
i.e. q'' = -a (g + q'^T H q') / (1 + |a|^2) - (friction/m) q'.
Where the slope is gentle this is Newton's law under the force -m g grad V; on a wall of slope
|a| the pull along a is g |a| / (1 + |a|^2): the normal force carries the weight, the marble
slows on steep walls where gradient descent speeds up.

Integrator: RATTLE (Andersen 1983; Leimkuhler & Reich, "Simulating Hamiltonian Dynamics",
sec. 7.2) on the 3D system X = (q, z) with the constraint z - V(q) = 0, between two exact
half-steps of the drag (v <- v exp(-friction dt / (2 m)): the drag is along the velocity,
which stays tangent). RATTLE is second order, symplectic and time-reversible on the surface;
at zero friction the energy m/2 |X'|^2 + m g V has no drift, its error O(dt^2). The position
constraint is solved by MARBLE_NEWTON vectorized Newton iterations for the multiplier, the
velocity constraint (tangency) in closed form. One tick: MARBLE_NEWTON + 1 values of V and
MARBLE_NEWTON + 1 gradients (the last is cached for the next tick).
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.physics.newtonian import DT, FRICTION, MASS

MARBLE_NEWTON = 3  # Newton iterations for the position constraint (quadratic convergence)
GRAVITY = ParamSpec("gravity", 1.0, lo=0.0, help="gravity g (down the z axis)")


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise a . b: [n, 2] x [n, 2] -> [n]."""
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def step_marble(r, s, V, rng) -> bool:
    """One tick (dt) of the marble for every row of s: drag half, RATTLE, drag half. It rolls
    on the full-data surface (SPEC.minibatch is False): a surface redrawn at every gradient
    has no constraint to solve."""
    m, g, dt = float(r.opt("mass")), float(r.opt("gravity")), float(r.opt("dt"))
    h = 0.5 * dt
    damp = math.exp(-float(r.opt("friction")) * h / m)
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    a0 = s.grad.copy()  # the surface's slope at q_n (its normal is (-a0, 1))
    if damp != 1.0:
        ke = 0.5 * m * (_dot(s.vel, s.vel) + _dot(a0, s.vel) ** 2)
        s.vel *= damp
        s.dissipated += ke * (1.0 - damp * damp)
    # unconstrained drift: Y = X_n + dt (X'_n - h g e_z)
    yq = s.pos + dt * s.vel
    yz = V.value(s.pos) + dt * (_dot(a0, s.vel) - h * g)
    # the multiplier: X = Y - kappa (-a0, 1), kappa by Newton on z - V(q) = 0
    kappa = np.zeros(len(yz))
    q = yq.copy()
    gq = s.tmp2
    for _ in range(MARBLE_NEWTON):
        f = yz - kappa
        f -= V.value(q)
        V.grad(q, out=gq)
        slope = _dot(gq, a0)
        slope += 1.0
        with np.errstate(all="ignore"):
            f /= slope
        kappa += f  # Newton: kappa -= f / f', f' = -(1 + grad V(q) . a0)
        np.multiply(a0, kappa[:, None], out=q)
        q += yq
    s.pos[...] = q
    # half-step velocity X'_{1/2} = (X_{n+1} - X_n)/dt, then the second half kick and the
    # projection onto the tangent plane at q_{n+1} (normal (-a1, 1))
    uq = s.vel + (kappa / dt)[:, None] * a0
    uz = _dot(a0, s.vel) - h * g - kappa / dt - h * g
    a1 = V.grad(s.pos, out=s.grad)
    with np.errstate(all="ignore"):
        along = (uz - _dot(a1, uq)) / (1.0 + _dot(a1, a1))
    np.multiply(a1, along[:, None], out=s.tmp)
    np.add(uq, s.tmp, out=s.vel)
    if damp != 1.0:
        ke = 0.5 * m * (_dot(s.vel, s.vel) + _dot(a1, s.vel) ** 2)
        s.vel *= damp
        s.dissipated += ke * (1.0 - damp * damp)
    return True


def energy(pos: np.ndarray, vel: np.ndarray, V, mass: float = 1.0, gravity: float = 1.0) -> np.ndarray:
    """The marble's energy [n]: m/2 (|q'|^2 + (grad V . q')^2) + m g V(q)."""
    a = V.grad(pos)
    return 0.5 * mass * (_dot(vel, vel) + _dot(a, vel) ** 2) + mass * gravity * V.value(pos)


def _energy(r, pos: np.ndarray, vel: np.ndarray, V) -> tuple[np.ndarray, np.ndarray]:
    """(kinetic m/2 (|q'|^2 + (grad V . q')^2), potential m g V) per ball [n] (the ledger's)."""
    m, g = float(r.opt("mass")), float(r.opt("gravity"))
    if len(pos) == 0:
        return np.zeros(0), np.zeros(0)
    a = V.grad(pos)
    return 0.5 * m * (_dot(vel, vel) + _dot(a, vel) ** 2), m * g * V.value(pos)


def small_amplitude_map(r, lam: float) -> np.ndarray:
    """The tick linearized at the minimum of V = lam x^2/2 on (x, x'): small amplitude only
    (the marble is not linear on a quadratic: q'^T H q' and the slope's 1/(1 + |a|^2) are
    second order). It is BAOAB-like velocity Verlet under the force -m g lam x, between drag
    halves: O(dt/2) B(dt/2) A(dt) B(dt/2) O(dt/2); its spectral radius is the exact rate at
    which a marble settles into the minimum once it is close. It is NOT the rule's
    `linear_map`: a marble dropped at an ordinary distance is nonlinear for hundreds of ticks
    (on the ravine from (1, 1) its measured contraction is 8% slower than this radius), so no
    instrument may show it as the marble's rate; they say n/a."""
    from sim.rules.linear import mat2

    m, g, dt = r.opt("mass"), r.opt("gravity"), r.opt("dt")  # (arrays on a plane's grid)
    lam = np.asarray(lam, dtype=np.float64)
    h = 0.5 * np.asarray(dt, dtype=np.float64)
    damp = np.exp(-np.asarray(r.opt("friction"), dtype=np.float64) * h / m)
    o = mat2(1.0, 0.0, 0.0, damp)
    kick = mat2(1.0, 0.0, -h * g * lam, 1.0)
    drift = mat2(1.0, 2.0 * h, 0.0, 1.0)
    return o @ kick @ drift @ kick @ o


def reading(r) -> Reading:
    m, f, g = float(r.opt("mass")), float(r.opt("friction")), float(r.opt("gravity"))
    return Reading(
        "a marble of mass m on the surface z = V under gravity g: on gentle slopes Newton's law "
        "with the force -m g grad V and drag -friction v; on a slope s = |grad V| the pull along "
        "grad V is g s / (1 + s^2) (factor 1/(1 + s^2) against gd's g s): steep walls slow it, "
        "where gd speeds up",
        {"mass": m, "friction": f, "gravity": g, "force_per_slope": g,
         "friction_rate": f / m})


SPEC = RuleSpec(
    name="marble", family=Family.NEWTON, group="newton", color=(90, 215, 200),
    summary="a marble on the surface z = V under --gravity, with drag (RATTLE)",
    params=(MASS, FRICTION, GRAVITY, DT), step=step_marble, timed=True, newtonian=True,
    carry="velocity", reading=reading, energy=_energy, minibatch=False,
    # no linear_map: see small_amplitude_map
)
