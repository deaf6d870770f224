"""Gradient descent: x <- x - lr g (torch SGD without momentum)."""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, ParamSpec, RuleSpec

LR = ParamSpec("lr", 0.01, lo=0.0, lo_ok=False, help="learning rate")
WEIGHT_DECAY = ParamSpec("weight_decay", 0.0, lo=0.0, help="L2: grad += weight_decay * x (torch's coupled decay)")


def l2(r, s, g) -> None:
    """torch's coupled weight decay, grad = grad.add(param, alpha=weight_decay), only where it
    is set (at 0 a step runs exactly the operations it ran before the option existed)."""
    wd = r.opt("weight_decay")
    if wd != 0:
        np.multiply(s.pos, wd, out=s.tmp2)
        g += s.tmp2


def step_gd(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    l2(r, s, g)
    g *= r.lr
    s.pos -= g
    return False


SPEC = RuleSpec(
    name="gd", family=Family.GD, group="gradient", color=(255, 255, 255),
    summary="x -= lr g", params=(LR, WEIGHT_DECAY), step=step_gd, schedulable=True,
)
