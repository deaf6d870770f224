"""ASGD: torch.optim.ASGD (averaged SGD), its single-tensor step for one parameter [x, y].

torch (torch/optim/asgd.py, _single_tensor_asgd), per step t (counted from 1):
    weight_decay != 0: grad += wd * param
    param *= 1 - lambd * eta;  param += -eta * grad          (eta, mu: this step's values)
    ax = param if mu == 1 else ax + (param - ax) * mu         (the running average)
    eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)   (for the next step)
State: eta starts at lr and mu at 1. Quirk: both are 0-dim tensors of torch's scalar dtype
(float32 at the default dtype), so eta is lr rounded to float32, and so on every step.
The ball is the iterate `param` (what torch updates); `ax` (buf_b) is the Polyak-Ruppert
average torch offers for evaluation, equal to the iterate for the first t0 + 2 steps (t0 default 1e6), then
the mean of the iterates since t0. Buffers: "eta_mu" [n, 2] (eta, mu), buf_b = ax.
"""
from __future__ import annotations

import numpy as np

from sim.rules.base import BufferSpec, Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import SCALAR_DTYPE, common_step, fresh_rows, per_step, step_column, weight_decay_


def f32(x):
    """A value stored in a float32 tensor and read back (.item()) as a float."""
    return np.asarray(x, dtype=SCALAR_DTYPE).astype(np.float64)


def step(r, s, V, rng) -> bool:
    lr, lambd, alpha, t0, wd = r.lr, r.opt("lambd"), r.opt("alpha"), r.opt("t0"), r.opt("weight_decay")
    g = V.grad(s.pos, out=s.tmp)
    em = s.bufs["eta_mu"]
    fresh = fresh_rows(s)
    if fresh is not None:
        em[fresh, 0] = f32(lr)  # torch.as_tensor(lr, dtype=_get_scalar_dtype())
        em[fresh, 1] = 1.0  # torch.ones((), dtype=_get_scalar_dtype())
    s.steps += 1
    weight_decay_(s, g, lr, wd)  # grad = grad.add(param, alpha=weight_decay)
    eta = em[:, 0:1]
    np.multiply(eta, lambd, out=s.tmp2[:, :1])
    np.subtract(1.0, s.tmp2[:, :1], out=s.tmp2[:, :1])
    s.pos *= s.tmp2[:, :1]  # param.mul_(1 - lambd * eta_value)
    g *= -eta
    s.pos += g  # param.add_(grad, alpha=-eta_value)
    ax, mu = s.buf_b, em[:, 1:2]
    if (mu == 1.0).all():
        np.copyto(ax, s.pos)  # ax.copy_(param)
    else:
        avg = ax + (s.pos - ax) * mu  # ax.add_(param.sub(ax).mul_(mu))
        np.copyto(ax, np.where(mu == 1.0, s.pos, avg))
    k = common_step(s)
    eta_of = lambda q: lr / ((1 + lambd * lr * q) ** alpha)  # noqa: E731  (torch's Python floats)
    if k is not None:
        t = float(k)
        em[:, 0] = f32(eta_of(t))  # eta.copy_(...)
        em[:, 1] = f32(1 / max(1, t - t0))  # mu.copy_(1 / max(1, step - t0))
    else:  # per distinct count, Python's floats (eta is rounded to float32)
        em[:, 0] = f32(per_step(eta_of, s)[:, 0])
        em[:, 1] = f32(1 / np.maximum(1, step_column(s)[:, 0] - t0))
    return False


def eta_f32(r) -> float:
    return float(f32(r.lr))


def linear_map(r, lam: float):
    """With lambd = 0 the step is constant (eta = lr in float32): x <- x - eta (lam + wd) x."""
    if r.opt("lambd") != 0:
        return None
    return np.array([[1.0 - eta_f32(r) * (lam + r.opt("weight_decay"))]])


def modified_loss(r):
    if r.opt("lambd") != 0 or r.opt("weight_decay") != 0:
        return None
    return eta_f32(r) / 4.0


def noise_factor(r):
    if r.opt("lambd") != 0 or r.opt("weight_decay") != 0:
        return None
    return eta_f32(r) / r.lr


def reading(r) -> Reading:
    lr, lambd, alpha, t0 = r.lr, r.opt("lambd"), r.opt("alpha"), r.opt("t0")
    half = (2.0 ** (1.0 / alpha) - 1.0) / (lambd * lr) if lambd > 0 and alpha > 0 else None
    text = (f"gradient descent with a cooling step eta_t = lr/(1+lambd*lr*t)^alpha, eta_0 = {eta_f32(r):.6g}"
            + (f", halved after {half:,.0f} ticks" if half else " (constant)")
            + f", and a spring of stiffness lambd = {lambd:g} (x shrinks by 1-lambd*eta per tick); "
            f"the ball is the iterate, ax the running average of the iterates after t0 = {t0:g} ticks")
    return Reading(text, {"eta_0": eta_f32(r), "eta_half_ticks": half, "spring": lambd, "t0": t0})


SPEC = RuleSpec(
    name="asgd",
    family=Family.GD,
    group="gradient",
    color=(200, 200, 200),
    summary="ASGD: SGD with a decaying step and Polyak averaging (torch.optim.ASGD)",
    params=(
        ParamSpec("lr", 1e-2, float, lo=0.0, lo_ok=False),
        ParamSpec("lambd", 1e-4, float, lo=0.0, help="decay term"),
        ParamSpec("alpha", 0.75, float, lo=0.0, help="power of the eta update"),
        ParamSpec("t0", 1e6, float, lo=0.0, help="the step from which ax averages"),
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
    ),
    step=step,
    counts_steps=True,
    schedulable=False,
    buffers=(BufferSpec("eta_mu", (2,)),),
    linear_map=linear_map,
    modified_loss=modified_loss,
    noise_factor=noise_factor,
    reading=reading,
)
