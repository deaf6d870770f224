"""Heavy-ball momentum and Nesterov's momentum (torch SGD, momentum=beta, dampening=0;
nesterov=True). The buffer u is what a throw seeds and what carries over between them."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, ParamSpec, RuleSpec
from sim.rules.gd import LR

BETA = ParamSpec("beta", 0.9, lo=0.0, hi=1.0, help="momentum")


def step_momentum(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
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


MOMENTUM = RuleSpec(
    name="momentum", family=Family.HEAVY_BALL, group="momentum", color=(255, 140, 50),
    summary="u = beta u + g;  x -= lr u   (torch SGD momentum)", params=(LR, BETA),
    step=step_momentum, carry="buffer", schedulable=True,
)
NESTEROV = RuleSpec(
    name="nesterov", family=Family.HEAVY_BALL, group="momentum", color=(255, 215, 90),
    summary="u = beta u + g;  x -= lr (g + beta u)   (torch SGD nesterov)", params=(LR, BETA),
    step=step_momentum, carry="buffer", schedulable=True,
)
SPECS = (MOMENTUM, NESTEROV)
