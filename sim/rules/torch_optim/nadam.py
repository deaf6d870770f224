"""NAdam: torch.optim.NAdam, its single-tensor step for one parameter [x, y] per ball.

torch (torch/optim/nadam.py, _single_tensor_nadam), per step t (counted from 1), psi =
momentum_decay:
    bias_correction2 = 1 - beta2**t
    weight_decay != 0: decoupled: param *= 1 - lr*wd;  else grad += wd * param
    mu_t     = beta1 (1 - 0.5 * 0.96**(t psi))
    mu_{t+1} = beta1 (1 - 0.5 * 0.96**((t + 1) psi))
    mu_product *= mu_t                       (the product of every mu so far)
    m.lerp_(g, 1 - beta1);  v = v beta2 + (1 - beta2) g g
    denom = sqrt(v / bias_correction2) + eps
    param += (-lr (1 - mu_t) / (1 - mu_product)) g / denom
    param += (-lr mu_{t+1} / (1 - mu_product mu_{t+1})) m / denom
Quirk: mu_product is a 0-dim tensor of torch's scalar dtype (float32 at the default dtype):
`mu_product *= mu` rounds mu and the product to float32 every step, and the step reads it back
as that float32 value. Kept here (buffer "mu_product", float32 values in a float64 array,
1 at a ball's first step). The momentum warms up slowly: mu_t reaches beta1 (1 - 0.5/e) only
after t = 1 / (psi ln(1/0.96)) steps (6,124 at psi = 0.004).
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.torch_optim.adamw import BETA, BETA2, DECOUPLED, EPS, decay_clause
from sim.rules.base import BufferSpec, Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import (SCALAR_DTYPE, adam_moments_, common_step, fresh_rows, per_step,
                                              step_column, weight_decay_)


def mu_at(beta1: float, psi: float, t):
    """NAdam's momentum coefficient at step t (a float, or an array of steps)."""
    if np.ndim(t) == 0:
        return beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
    return beta1 * (1.0 - 0.5 * np.power(0.96, t * psi))


def step(r, s, V, rng) -> bool:
    lr, b1, b2, eps = r.lr, r.opt("beta"), r.opt("beta2"), r.opt("eps")
    wd, psi = r.opt("weight_decay"), r.opt("momentum_decay")
    g = V.grad(s.pos, out=s.tmp)
    mp = s.bufs["mu_product"]
    fresh = fresh_rows(s)
    if fresh is not None:
        mp[fresh] = 1.0  # state["mu_product"] = torch.tensor(1.0)
    s.steps += 1
    k = common_step(s)
    if k is not None:
        t = float(k)
        bc2 = 1.0 - b2**t
    else:
        t = step_column(s)
        bc2 = 1.0 - np.power(b2, t)
    weight_decay_(s, g, lr, wd, r.opt("decoupled_weight_decay"))
    if k is not None:
        mu, mu_next = mu_at(b1, psi, t), mu_at(b1, psi, t + 1.0)
    else:  # Python's floats per distinct count: mu is rounded to float32 below
        mu = per_step(lambda q: mu_at(b1, psi, q), s)
        mu_next = per_step(lambda q: mu_at(b1, psi, q + 1.0), s)
    # mu_product *= mu in float32 (torch's scalar dtype): both factors and the product rounded
    mu32 = np.asarray(mu, dtype=SCALAR_DTYPE).reshape(-1)
    np.copyto(mp, (mp.astype(SCALAR_DTYPE) * mu32).astype(np.float64))
    m, v = adam_moments_(s, g, b1, b2)
    denom = s.tmp2
    np.divide(v, bc2, out=denom)
    np.sqrt(denom, out=denom)
    denom += eps  # exp_avg_sq.div(bias_correction2).sqrt(), then denom.add_(eps)
    mpc = mp[:, None]
    c_grad = (-lr * (1.0 - mu)) / (1.0 - mpc)  # value=(-lr * (1 - mu) / (1 - mu_product))
    c_avg = (-lr * mu_next) / (1.0 - mpc * mu_next)  # value=(-lr*mu_next) / (1 - mu_product_next)
    g *= c_grad
    g /= denom
    s.pos += g  # param.addcdiv_(grad, denom, value=...)
    np.multiply(m, c_avg, out=g)
    g /= denom
    s.pos += g  # param.addcdiv_(exp_avg, denom, value=...)
    return False


def reading(r) -> Reading:
    b1, psi = r.opt("beta"), r.opt("momentum_decay")
    mu1 = mu_at(b1, psi, 1.0)
    warm = 1.0 / (psi * math.log(1.0 / 0.96)) if psi > 0 else None
    text = (f"Adam with Nesterov's look-ahead: each tick mixes the fresh force, weight (1-mu_t)/(1-prod mu), "
            f"with the momentum, weight mu_t+1/(1-prod mu*mu_t+1); mu starts at {mu1:.4g} and rises to "
            f"beta1 = {b1:.4g}" + (f" over ~{warm:,.0f} ticks" if warm else ""))
    out = Reading(text, {"mu_1": mu1, "mu_inf": b1, "warmup_ticks": warm})
    if r.opt("weight_decay") and r.opt("decoupled_weight_decay"):
        text, numbers = decay_clause(r)
        return Reading(f"{out.sentence}; plus {text}", {**out.numbers, **numbers})
    return out


SPEC = RuleSpec(
    name="nadam",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(255, 160, 120),
    summary="NAdam: Adam with Nesterov momentum and a momentum warm-up (torch.optim.NAdam)",
    params=(
        ParamSpec("lr", 2e-3, float, lo=0.0, lo_ok=False),
        BETA, BETA2, EPS,
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
        ParamSpec("momentum_decay", 4e-3, float, lo=0.0, help="psi: mu_t = beta1 (1 - 0.96^(t psi)/2)"),
        DECOUPLED,
    ),
    step=step,
    counts_steps=True,
    schedulable=True,
    buffers=(BufferSpec("mu_product", ()),),
    reading=reading,
)
