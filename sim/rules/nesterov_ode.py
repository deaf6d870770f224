"""Nesterov's ODE x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes 2014), t from the ball's drop."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, RuleSpec
from sim.rules.newtonian import DT, _drift


def step_nesterov_ode(r, s, V, rng) -> bool:
    """x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes 2014), t = steps dt from the ball's drop,
    the ball at rest at t = 0. Strang splitting, second order: half kick, half drift, the
    friction over the whole step solved exactly (v <- v (t / (t + dt))^3: zero at t = 0),
    half drift, half kick. Unit mass; grad cached as in Verlet."""
    fresh = s.steps == 0
    if fresh.any():
        s.vel[fresh] = 0.0  # at rest at t = 0, whatever the drop or the rule before
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    h = 0.5 * r.dt
    np.multiply(s.grad, h, out=s.tmp)
    s.vel -= s.tmp
    _drift(s, h)
    t = s.steps
    if len(t) and t[0] == t[-1] and t.min() == t.max():
        k = float(t[0])
        s.vel *= (k / (k + 1.0)) ** 3
    else:
        k = t.astype(np.float64)
        s.vel *= ((k / (k + 1.0)) ** 3)[:, None]
    _drift(s, h)
    V.grad(s.pos, out=s.grad)
    np.multiply(s.grad, h, out=s.tmp)
    s.vel -= s.tmp
    s.steps += 1
    return True


SPEC = RuleSpec(
    name="nesterov_ode", family=Family.NEWTON, group="second order", color=(200, 170, 90),
    summary="x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes), t from the ball's drop",
    params=(DT,), step=step_nesterov_ode, timed=True, counts_steps=True,
)
