"""Adafactor: torch.optim.Adafactor, its single-tensor step for one parameter of shape [2].

A parameter of one dimension is not factored (torch keeps a full `variance` for dim <= 1, the
row/column factors only for matrices), so a ball's [x, y] has an Adam-like second moment.
torch (torch/optim/_adafactor.py, _single_tensor_adafactor), per step t (counted from 1),
tau = beta2_decay, (eps1, eps2) = eps, eps1 None -> finfo(float64).eps:
    one_minus_beta2_t = t ** tau                     (1 at t = 1: v starts at g^2)
    rho_t = min(lr, 1 / t**0.5)                       (the relative step size)
    alpha = max(eps2, |param| / sqrt(2)) * rho_t      (read BEFORE the weight decay)
    weight_decay != 0: param *= 1 - lr * weight_decay
    v.lerp_(g g, one_minus_beta2_t)
    U = g / sqrt(max(v, eps1^2))                      (clamp_(min=eps1*eps1).rsqrt_().mul_(grad))
    denom = max(1, |U| / (sqrt(2) d))                 (update clipping at RMS d)
    param += (-alpha / denom) U
So each tick moves x by alpha * min(RMS(U), d) in RMS: at most d * max(eps2, RMS(x)) *
min(lr, 1/sqrt(t)), a step relative to the parameter's own size. Buffer "variance" [n, 2].
"""
from __future__ import annotations

import numpy as np

from sim.rules.base import BufferSpec, Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import common_step, lerp_, norm2, rms, step_column, weight_decay_

EPS1_DEFAULT = float(np.finfo(np.float64).eps)  # torch: eps1 None -> torch.finfo(param.dtype).eps


def step(r, s, V, rng) -> bool:
    lr, tau, d, wd = r.lr, r.opt("beta2_decay"), r.opt("d"), r.opt("weight_decay")
    eps1, eps2 = r.opt("eps")
    if eps1 is None:
        eps1 = EPS1_DEFAULT
    g = V.grad(s.pos, out=s.tmp)
    s.steps += 1
    k = common_step(s)
    if k is not None:
        t = float(k)
        w = t**tau  # one_minus_beta2_t
        rho_t = min(lr, 1 / (t**0.5))
    else:
        t = step_column(s)
        w = np.power(t, tau)
        rho_t = np.minimum(lr, 1 / np.sqrt(t))
    alpha = np.maximum(eps2, rms(s.pos))[:, None] * rho_t  # max(eps2, norm / numel**0.5) * rho_t
    weight_decay_(s, g, lr, wd, decoupled=True)
    v = s.bufs["variance"]
    lerp_(v, g * g, w, s.tmp2)  # variance.lerp_(grad * grad, one_minus_beta2_t)
    u = s.tmp2
    np.maximum(v, eps1 * eps1, out=u)
    np.sqrt(u, out=u)
    np.divide(1.0, u, out=u)  # var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
    u *= g  # update.mul_(grad)
    denom = np.maximum(1.0, norm2(u) / (2.0**0.5 * d))[:, None]  # max(1, norm / (numel**0.5 * d))
    alpha /= denom
    alpha *= -1.0
    u *= alpha
    s.pos += u  # param.add_(update, alpha=-alpha / denom)
    return False


def reading(r) -> Reading:
    eps1, eps2 = r.opt("eps")
    d = r.opt("d")
    text = (f"a relative speed limit: each tick moves x by at most d*max(eps2, RMS(x))*min(lr, 1/sqrt(t)) "
            f"in RMS = {d:g} x {r.lr:g} of its own size (never under {d * eps2 * r.lr:.3g}), along g/sqrt(v), "
            f"v an average of g^2 with weight t^{r.opt('beta2_decay'):g}")
    return Reading(text, {"relative_step": d * r.lr, "floor_step": d * eps2 * r.lr})


SPEC = RuleSpec(
    name="adafactor",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(255, 235, 150),
    summary="Adafactor: relative steps with a decaying second moment (torch.optim.Adafactor; a vector is not factored)",
    params=(
        ParamSpec("lr", 1e-2, float, lo=0.0, lo_ok=False, help="the cap of the relative step rho_t"),
        ParamSpec("beta2_decay", -0.8, float, hi=0.0, hi_ok=True, help="tau: 1 - beta2_t = t^tau"),
        ParamSpec("eps", (EPS1_DEFAULT, 1e-3), "pair", lo=0.0,
                  help="(eps1, eps2): eps1 floors sqrt(v) (torch's None = float64 machine eps), eps2 floors RMS(x)"),
        ParamSpec("d", 1.0, float, lo=1.0, help="update clipping threshold"),
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
    ),
    step=step,
    counts_steps=True,
    schedulable=False,
    buffers=(BufferSpec("variance"),),
    reading=reading,
)
