"""Adamax: torch.optim.Adamax, its single-tensor step for one parameter [x, y] per ball.

torch (torch/optim/adamax.py, _single_tensor_adamax), per step t (counted from 1):
    weight_decay != 0: grad += wd * param                    (L2 only; no decoupled option)
    m.lerp_(g, 1 - beta1)
    u = max(u * beta2, |g| + eps)                             (the exponentially weighted inf-norm)
    param += (-lr / (1 - beta1**t)) m / u
Quirk: eps is added to |g| inside the max, not to the denominator.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.rules.torch_optim.adamw import BETA, BETA2, EPS
from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import common_step, lerp_, step_column, weight_decay_


def step(r, s, V, rng) -> bool:
    lr, b1, b2, eps, wd = r.lr, r.opt("beta"), r.opt("beta2"), r.opt("eps"), r.opt("weight_decay")
    g = V.grad(s.pos, out=s.tmp)
    s.steps += 1
    weight_decay_(s, g, lr, wd)  # L2 only
    m, u = s.buf_a, s.buf_b
    lerp_(m, g, 1.0 - b1, s.tmp2)
    u *= b2
    np.abs(g, out=s.tmp2)
    s.tmp2 += eps
    np.maximum(u, s.tmp2, out=u)  # torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))
    k = common_step(s)
    if k is not None:
        clr = lr / (1 - b1**k)
    else:
        clr = lr / (1 - np.power(b1, step_column(s)))
    np.multiply(m, -clr, out=g)
    g /= u
    s.pos += g  # param.addcdiv_(exp_avg, exp_inf, value=-clr)
    return False


@lru_cache(maxsize=64)
def speed_bound(beta1: float, beta2: float, horizon: int = 20_000) -> float:
    """sup over t of |m_hat / u| per coordinate: u_t >= beta2^j |g_(t-j)|, so
    |m_hat_t / u_t| <= (1 - beta1) sum_(j<t) (beta1/beta2)^j / (1 - beta1^t)."""
    t = np.arange(1, horizon + 1, dtype=np.float64)
    q = beta1 / beta2 if beta2 > 0 else np.inf
    if beta1 == 0:
        return 1.0
    if not q < 1:
        return float("inf")
    f = (1 - beta1) * (1 - q**t) / ((1 - q) * (1 - beta1**t))
    return float(f.max())


def reading(r) -> Reading:
    b1, b2 = r.opt("beta"), r.opt("beta2")
    bound = speed_bound(b1, b2)
    limit = r.lr * bound
    text = (f"a speed limit per coordinate: |dx_i| <= lr * {bound:.5g} = {limit:.4g} per tick "
            f"(u is the decaying max of |g|, so the force's size cancels); the first tick moves "
            f"lr*|g|/(|g|+eps) ~ lr = {r.lr:.4g}")
    return Reading(text, {"speed_limit": limit, "first_step_max": r.lr})


SPEC = RuleSpec(
    name="adamax",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(255, 200, 230),
    summary="Adamax: Adam with the infinity norm (torch.optim.Adamax)",
    params=(
        ParamSpec("lr", 2e-3, float, lo=0.0, lo_ok=False),
        BETA, BETA2, EPS,
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
    ),
    step=step,
    counts_steps=True,
    schedulable=True,
    reading=reading,
)
