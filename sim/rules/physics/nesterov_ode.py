"""Nesterov's ODE x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes 2014), t from the ball's drop."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, RuleSpec
from sim.rules.physics.newtonian import DT


def step_nesterov_ode(r, s, V, rng) -> bool:
    """x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes 2014), t = steps dt from the ball's drop,
    the ball at rest at t = 0. Unit mass; grad cached as in Verlet (one gradient a tick).

    Velocity Verlet with the friction integrated exactly: with p = t^3 v the law reads
    (t^3 v)' = -t^3 g, so over [t0, t1] = [k dt, (k+1) dt]
        v1 = (t0/t1)^3 v0 - t1^-3 int s^3 g(s) ds,
        x1 = x0 + v0 t0^3 int t^-3 dt - int w(s) g(s) ds,  w(s) = (s - s^3/t1^2) / 2.
    The position takes g(s) = g0 (its weight int w = dt^2 (2k+1)^2 / (8 (k+1)^2); dt^2/8 at
    the first step, the series x0 - t^2 g0/8), the velocity g linear between g0 and g1 =
    grad V(x1). Both are exact for a constant force and err by O(dt^3) per step uniformly in
    k (the weights are bounded, the 3/t singularity never divides), so the method is second
    order from t = 0; at large k it is velocity Verlet. The weights are written as polynomials
    in k (no cancellation at large k)."""
    fresh = s.steps == 0
    if fresh.any():
        s.vel[fresh] = 0.0  # at rest at t = 0, whatever the drop or the rule before
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    dt = float(r.dt)
    t = s.steps
    if len(t) and t.min() == t.max():
        k = float(t[0])  # one count for all: scalar weights
    else:
        k = t.astype(np.float64)[:, None]
    # (products, never **: a scalar and an array power may round differently, and a block of
    # one step count must give the bits of a mixed pass)
    k1 = k + 1.0
    u = 2.0 * k + 1.0
    q = k / k1
    c_drift = dt * k * u / (2.0 * k1 * k1)
    c_push = dt * dt * (u * u) / (8.0 * k1 * k1)
    c_keep = q * q * q
    den = 20.0 * (k1 * k1 * k1)
    c_g0 = dt * (((10.0 * k + 10.0) * k + 5.0) * k + 1.0) / den
    c_g1 = dt * (((10.0 * k + 20.0) * k + 15.0) * k + 4.0) / den
    np.multiply(s.vel, c_drift, out=s.tmp)
    s.pos += s.tmp
    np.multiply(s.grad, c_push, out=s.tmp)
    s.pos -= s.tmp
    s.vel *= c_keep
    np.multiply(s.grad, c_g0, out=s.tmp)
    s.vel -= s.tmp
    V.grad(s.pos, out=s.grad)
    np.multiply(s.grad, c_g1, out=s.tmp)
    s.vel -= s.tmp
    s.steps += 1
    return True


SPEC = RuleSpec(
    name="nesterov_ode", family=Family.NEWTON, group="second order", color=(200, 170, 90),
    summary="x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes), t from the ball's drop",
    params=(DT,), step=step_nesterov_ode, timed=True, counts_steps=True, chip="nest ODE",
)
