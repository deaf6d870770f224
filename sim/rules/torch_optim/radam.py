"""RAdam: torch.optim.RAdam, its single-tensor step for one parameter [x, y] per ball.

torch (torch/optim/radam.py, _single_tensor_radam), per step t (counted from 1):
    weight_decay != 0: decoupled: param *= 1 - lr*wd;  else grad += wd * param
    m.lerp_(g, 1 - beta1);  v = v beta2 + (1 - beta2) g g
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
    rho_t > 5:  rect = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                adaptive = (1 - beta2**t)**0.5 / (sqrt(v) + eps)
                param -= m_hat * lr * adaptive * rect     (left to right, as torch)
    else:       param -= m_hat * lr                       (momentum SGD, no preconditioner)
Quirks: eps is added to sqrt(v) before the bias correction (the effective eps is
eps / sqrt(1 - beta2**t), not Adam's); the threshold is rho_t > 5 (the paper says 4), so at
beta2 = 0.999 the first 5 steps are plain momentum steps.
"""
from __future__ import annotations

import numpy as np

from sim.rules.torch_optim.adamw import BETA, BETA2, DECOUPLED, EPS, decay_clause
from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import adam_moments_, common_step, step_column, weight_decay_

RHO_THRESHOLD = 5.0  # torch's `if rho_t > 5.0`


def rho(beta2: float, t):
    """(rho_inf, rho_t): the approximated SMA's length at step t (a float or an array)."""
    rho_inf = 2 / (1 - beta2) - 1
    if np.ndim(t) == 0:
        return rho_inf, rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)
    p = np.power(beta2, t)
    return rho_inf, rho_inf - 2 * t * p / (1 - p)


def rect(rho_inf: float, rho_t):
    """The variance rectification term (only meaningful where rho_t > 5)."""
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def sgd_steps(beta2: float, limit: int = 10_000) -> int:
    """How many first steps have rho_t <= 5 (plain momentum steps)."""
    for t in range(1, limit + 1):
        if rho(beta2, float(t))[1] > RHO_THRESHOLD:
            return t - 1
    return limit


def step(r, s, V, rng) -> bool:
    lr, b1, b2, eps, wd = r.lr, r.opt("beta"), r.opt("beta2"), r.opt("eps"), r.opt("weight_decay")
    g = V.grad(s.pos, out=s.tmp)
    s.steps += 1
    weight_decay_(s, g, lr, wd, r.opt("decoupled_weight_decay"))
    m, v = adam_moments_(s, g, b1, b2)
    k = common_step(s)
    t = float(k) if k is not None else step_column(s)
    bc1 = 1 - b1**t if k is not None else 1 - np.power(b1, t)
    bc2 = 1 - b2**t if k is not None else 1 - np.power(b2, t)
    rho_inf, rho_t = rho(b2, t)
    upd = g
    np.divide(m, bc1, out=upd)  # bias_corrected_exp_avg = exp_avg / bias_correction1
    upd *= lr
    if k is not None:
        if rho_t > RHO_THRESHOLD:
            np.sqrt(v, out=s.tmp2)
            s.tmp2 += eps
            np.divide(bc2**0.5, s.tmp2, out=s.tmp2)  # (bc2 ** 0.5) / (exp_avg_sq.sqrt() + eps)
            upd *= s.tmp2
            upd *= rect(rho_inf, rho_t)
    else:
        late = rho_t > RHO_THRESHOLD  # [n, 1]
        if late.any():
            np.sqrt(v, out=s.tmp2)
            s.tmp2 += eps
            np.divide(np.sqrt(bc2), s.tmp2, out=s.tmp2)
            with np.errstate(all="ignore"):  # rect is NaN where rho_t <= 4; not used there
                rectified = upd * s.tmp2 * rect(rho_inf, rho_t)
            np.copyto(upd, rectified, where=late)
    s.pos -= upd  # param.add_(update, alpha=-1.0)
    return False


def reading(r) -> Reading:
    b2 = r.opt("beta2")
    n = sgd_steps(b2)
    rho_inf = 2 / (1 - b2) - 1
    text = (f"Adam whose first {n} ticks are plain momentum steps lr*m_hat (no preconditioner, "
            f"while the variance estimate's length rho_t <= 5); then Adam's step times a rectifier "
            f"that rises toward 1 (rho_inf = {rho_inf:.6g}); eps sits inside sqrt(1-beta2^t)/(sqrt(v)+eps)")
    numbers = {"momentum_ticks": float(n), "rho_inf": rho_inf,
               "rect_at_first_adaptive_tick": rect(rho_inf, rho(b2, float(n + 1))[1]) if n < 10_000 else None}
    if r.opt("weight_decay") and r.opt("decoupled_weight_decay"):
        clause, more = decay_clause(r)
        return Reading(f"{text}; plus {clause}", {**numbers, **more})
    return Reading(text, numbers)


SPEC = RuleSpec(
    name="radam",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(220, 130, 255),
    summary="RAdam: Adam with a rectified warm-up, momentum SGD while rho_t <= 5 (torch.optim.RAdam)",
    params=(
        ParamSpec("lr", 1e-3, float, lo=0.0, lo_ok=False),
        BETA, BETA2, EPS,
        ParamSpec("weight_decay", 0.0, float, lo=0.0),
        DECOUPLED,
    ),
    step=step,
    counts_steps=True,
    schedulable=True,
    reading=reading,
)
