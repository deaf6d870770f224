"""Heavy-ball momentum and Nesterov's momentum (torch SGD, momentum=beta, dampening=0;
nesterov=True). The buffer u is what a throw seeds and what carries over between them."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.classic.gd import LR, WEIGHT_DECAY, l2
from sim.rules.linear import mat2

BETA = ParamSpec("beta", 0.9, lo=0.0, hi=1.0, help="momentum")


def step_momentum(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    l2(r, s, g)  # torch SGD: weight decay before the momentum buffer
    u = s.buf_a
    u *= r.beta
    u += g  # torch: buf.mul_(momentum).add_(grad)
    if r.name == "nesterov":
        np.multiply(u, r.beta, out=s.tmp2)
        g += s.tmp2  # torch: grad = grad.add(buf, alpha=momentum)
        g *= r.lr
    else:
        np.multiply(u, r.lr, out=g)
    s.pos -= g  # torch: param.add_(step, alpha=-lr)
    return False


def momentum_map(r, lam):
    """State (x, u): u' = beta u + lam x; x' = x - lr u'."""
    lam = lam + r.opt("weight_decay")  # L2: the force on the quadratic is (lam + wd) x
    a, b = r.lr * lam, r.beta
    return mat2(1.0 - a, -r.lr * b, lam, b)


def nesterov_map(r, lam):
    """State (x, u): u' = beta u + lam x; x' = x - lr (lam x + beta u')."""
    lam = lam + r.opt("weight_decay")  # L2: the force on the quadratic is (lam + wd) x
    a, b = r.lr * lam, r.beta
    return mat2(1.0 - a * (1.0 + b), -r.lr * b * b, lam, b)


def momentum_modified(r) -> float:
    """Heavy ball's backward error: with h = lr the iterates follow
    x' = -(h/(1-beta)) grad V~, V~ = V + c |grad V|^2, c = h (1+beta) / (4 (1-beta)^2)
    (derived by matching the two-step recurrence to third order; tests/test_rule_facts.py)."""
    if r.opt("weight_decay") != 0:
        return None  # the ball follows V + wd|x|^2/2, not V + c|grad V|^2
    b = r.beta
    return r.lr * (1.0 + b) / (4.0 * (1.0 - b) ** 2)


def momentum_reading(r) -> Reading:
    dt = r.dt
    mass = dt * dt / r.lr
    return Reading("Newton's law with friction, semi-implicit Euler at dt: mass dt^2/lr, "
                   "friction (1 - beta) mass / dt; a throw seeds u = -v/lr",
                   {"dt": dt, "mass": mass, "friction": (1.0 - r.beta) * mass / dt})


MOMENTUM = RuleSpec(
    name="momentum", family=Family.HEAVY_BALL, group="momentum", color=(255, 140, 50),
    summary="u = beta u + g;  x -= lr u   (torch SGD momentum)", params=(LR, BETA, WEIGHT_DECAY),
    step=step_momentum, carry="buffer", schedulable=True, linear_map=momentum_map, plane="momentum",
    modified_loss=momentum_modified, noise_factor=lambda r: 1.0 / (1.0 - r.beta) if r.opt("weight_decay") == 0 else None,
    reading=momentum_reading,
)
NESTEROV = RuleSpec(
    name="nesterov", family=Family.HEAVY_BALL, group="momentum", color=(255, 215, 90),
    summary="u = beta u + g;  x -= lr (g + beta u)   (torch SGD nesterov)", params=(LR, BETA, WEIGHT_DECAY),
    step=step_momentum, carry="buffer", schedulable=True, linear_map=nesterov_map, plane="nesterov",
    reading=lambda r: Reading("heavy ball that feels the force at the point its momentum "
                              "carries it to (a look-ahead gradient)"),
)
SPECS = (MOMENTUM, NESTEROV)
