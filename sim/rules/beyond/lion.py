"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), as
lucidrains/lion-pytorch implements it (lion_pytorch/lion_pytorch.py, `update_fn`):

    p <- p (1 - lr wd)                              # decoupled weight decay, outside the sign
    p <- p - lr sign(beta1 m + (1 - beta1) g)       # the step: +-lr per coordinate (0 if exactly 0)
    m <- beta2 m + (1 - beta2) g                    # the momentum, updated after the step

Defaults are the reference's: betas (0.9, 0.99), weight_decay 0 (its lr default 1e-4 is too small
to watch; the program's lr comes from the landscape like adam's). The reference's
`decoupled_weight_decay=True` (wd divided by the initial lr) is not offered.
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec


def step(r, s, V, rng) -> bool:
    """One Lion tick for every ball. m is buf_a; the gradient goes to s.grad as scratch (the
    position moves after it, so it is stale: returns False)."""
    lr = r.lr
    b1, b2 = r.opt("beta"), r.opt("beta2")
    wd = r.opt("weight_decay")
    g = V.grad(s.pos, out=s.grad)
    m = s.buf_a
    if wd != 0.0:
        s.pos *= 1.0 - lr * wd  # p.data.mul_(1. - lr * wd) (a no-op at wd = 0: skipped)
    c = np.multiply(m, b1, out=s.tmp)  # exp_avg.clone().mul_(beta1)
    np.multiply(g, 1.0 - b1, out=s.tmp2)
    c += s.tmp2  # .add(grad, alpha=1 - beta1)
    np.sign(c, out=c)  # .sign_(): torch's sign(0) = 0, like numpy's
    c *= lr  # p.add_(update, alpha=-lr): lr * (+-1 or 0) is exact
    s.pos -= c
    m *= b2
    np.multiply(g, 1.0 - b2, out=s.tmp2)
    m += s.tmp2  # exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)
    return False


def reading(r) -> Reading:
    lr, wd = r.lr, r.opt("weight_decay")
    spring = lr * wd
    sentence = (f"A speed limit: every coordinate moves exactly lr = {lr:.4g} per tick whatever "
                f"the force's size (|step| = lr·√2 = {lr * math.sqrt(2.0):.4g} off the axes); "
                "the force and momentum only choose the sign")
    if wd:
        sentence += (f"; weight decay is a spring outside the sign, pulling x toward 0 by "
                     f"lr·wd = {spring:.4g} of itself per tick")
    return Reading(sentence + ".", {"speed_per_coordinate": lr,
                                    "speed_diagonal": lr * math.sqrt(2.0),
                                    "spring_per_tick": spring})


SPEC = RuleSpec(
    name="lion",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(255, 170, 40),
    summary="Lion: the sign of a momentum mix, so every coordinate moves exactly lr per tick",
    params=(
        ParamSpec("lr", 1e-4, lo=0.0, lo_ok=False, help="learning rate (the reference's default)"),
        ParamSpec("beta", 0.9, lo=0.0, hi=1.0, hi_ok=True, help="beta1: the mix whose sign is the step"),
        ParamSpec("beta2", 0.99, lo=0.0, hi=1.0, hi_ok=True, help="beta2: the momentum's decay"),
        ParamSpec("weight_decay", 0.0, lo=0.0, help="decoupled: x <- x (1 - lr wd) each tick"),
    ),
    step=step,
    schedulable=True,  # the displacement is lr (wd x + sign(...)): linear in lr
    # sign() is not linear: no constant map, no modified loss, no temperature
    reading=reading,
)
