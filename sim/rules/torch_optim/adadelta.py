"""Adadelta: torch.optim.Adadelta, its single-tensor step for one parameter [x, y] per ball.

torch (torch/optim/adadelta.py, _single_tensor_adadelta), every step:
    weight_decay != 0: grad += wd * param
    s = s rho + (1 - rho) g g
    delta = sqrt(acc + eps) / sqrt(s + eps) * g           (delta.div_(std).mul_(grad))
    acc = acc rho + (1 - rho) delta delta
    param += -lr * delta
lr defaults to 1.0: the step's units come from the ratio of RMS step to RMS gradient, so lr is
only a multiplier. The first step is lr sqrt(eps) g / sqrt((1 - rho) g^2 + eps) per
coordinate: at most lr sqrt(eps / (1 - rho)) = 0.00316 at the defaults. torch counts steps
(state["step"]) but the update never reads the count.
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import weight_decay_


def step(r, s, V, rng) -> bool:
    lr, rho, eps, wd = r.lr, r.opt("rho"), r.opt("eps"), r.opt("weight_decay")
    g = V.grad(s.pos, out=s.tmp)
    s.steps += 1
    weight_decay_(s, g, lr, wd)
    sq, acc = s.buf_a, s.buf_b
    sq *= rho
    np.multiply(g, 1.0 - rho, out=s.tmp2)
    s.tmp2 *= g
    sq += s.tmp2  # square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
    std = s.tmp2
    np.add(sq, eps, out=std)
    np.sqrt(std, out=std)  # std = square_avg.add(eps).sqrt_()
    delta = np.add(acc, eps)
    np.sqrt(delta, out=delta)  # delta = acc_delta.add(eps).sqrt_()
    delta /= std
    delta *= g  # delta.div_(std).mul_(grad)
    acc *= rho
    np.multiply(delta, 1.0 - rho, out=std)
    std *= delta
    acc += std  # acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    delta *= -lr
    s.pos += delta  # param.add_(delta, alpha=-lr)
    return False


def reading(r) -> Reading:
    rho, eps = r.opt("rho"), r.opt("eps")
    first = r.lr * math.sqrt(eps / (1.0 - rho)) if rho < 1 else None
    text = ("a ball whose mass sets its own units: dx = -lr * RMS[dx]/RMS[g] * g, the ratio of "
            "past step and force sizes standing in for 1/curvature (Zeiler's unit argument); "
            + (f"it starts slow, the first tick moves at most lr*sqrt(eps/(1-rho)) = {first:.3g}"
               if first is not None else "at rho 1 it never moves"))
    return Reading(text, {"first_step_max": first})


SPEC = RuleSpec(
    name="adadelta",
    family=Family.NEWTON_METHOD,  # lr 1 on every landscape: lr is a multiplier, not a step size
    group="adaptive",
    color=(150, 200, 255),
    summary="Adadelta: step = RMS of past steps / RMS of gradients (torch.optim.Adadelta)",
    params=(
        ParamSpec("lr", 1.0, float, lo=0.0, lo_ok=False),
        ParamSpec("rho", 0.9, float, lo=0.0, hi=1.0, hi_ok=True, help="the averages' decay"),
        ParamSpec("eps", 1e-6, float, lo=0.0, help="inside both square roots"),
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
    ),
    step=step,
    counts_steps=True,
    schedulable=True,
    reading=reading,
)
