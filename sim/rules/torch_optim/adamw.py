"""AdamW: torch.optim.AdamW (= torch.optim.Adam with decoupled_weight_decay=True), its
single-tensor step for one parameter [x, y] per ball, with `amsgrad`.

torch (torch/optim/adam.py, _single_tensor_adam), per step t (counted from 1):
    if weight_decay != 0: param *= 1 - lr * weight_decay      (decoupled: before the step,
                                                             the gradient was taken before it)
    m.lerp_(g, 1 - beta1);  v = v * beta2 + (1 - beta2) g g
    step_size = lr / (1 - beta1**t);  bc2_sqrt = (1 - beta2**t) ** 0.5
    amsgrad: v_max = max(v_max, v), the denominator uses v_max (the bias correction of the
             current t applied to the max, as torch does)
    param += (-step_size * m) / (sqrt(v or v_max) / bc2_sqrt + eps)
`adam_update` is this step for any of Adam's variants: coupled (L2) or decoupled decay.
"""
from __future__ import annotations

import numpy as np

from sim.rules.base import BufferSpec, Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import adam_moments_, common_step, step_column, weight_decay_

BETA = ParamSpec("beta", 0.9, float, lo=0.0, hi=1.0, help="betas[0]: the first moment's decay")
BETA2 = ParamSpec("beta2", 0.999, float, lo=0.0, hi=1.0, help="betas[1]: the second moment's decay")
EPS = ParamSpec("eps", 1e-8, float, lo=0.0, help="added to the denominator")
DECOUPLED = ParamSpec("decoupled_weight_decay", False, bool, help="AdamW-style decay instead of L2")  # nadam, radam
AMSGRAD = ParamSpec("amsgrad", False, bool, help="divide by the running max of v (AMSGrad)")


def adam_update(r, s, V, *, weight_decay: float, decoupled: bool, amsgrad: bool,
                v_max: np.ndarray | None = None) -> bool:
    """One torch Adam/AdamW step for every ball of s. v_max [n, 2]: amsgrad's buffer."""
    lr, b1, b2, eps = r.lr, r.opt("beta"), r.opt("beta2"), r.opt("eps")
    g = V.grad(s.pos, out=s.tmp)
    s.steps += 1
    weight_decay_(s, g, lr, weight_decay, decoupled)
    m, v = adam_moments_(s, g, b1, b2)
    k = common_step(s)
    if k is not None:
        step_size = lr / (1.0 - b1**k)
        bc2_sqrt = (1.0 - b2**k) ** 0.5
    else:  # balls dropped at different times: each its own t
        t = step_column(s)
        step_size = lr / (1.0 - np.power(b1, t))
        bc2_sqrt = np.sqrt(1.0 - np.power(b2, t))
    if amsgrad:
        np.maximum(v_max, v, out=v_max)  # torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=...)
        np.sqrt(v_max, out=s.tmp2)
    else:
        np.sqrt(v, out=s.tmp2)
    s.tmp2 /= bc2_sqrt
    s.tmp2 += eps  # denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    np.multiply(m, -step_size, out=g)
    g /= s.tmp2
    s.pos += g  # param.addcdiv_(exp_avg, denom, value=-step_size)
    return False


def step(r, s, V, rng) -> bool:
    amsgrad = bool(r.opt("amsgrad"))
    return adam_update(r, s, V, weight_decay=r.opt("weight_decay"), decoupled=True,
                       amsgrad=amsgrad, v_max=s.bufs["max_exp_avg_sq"] if amsgrad else None)


def decay_clause(r) -> tuple[str, dict[str, float | None]]:
    """Decoupled weight decay read as a spring outside the preconditioner: the words and the
    numbers (shared by adamw, and nadam / radam with decoupled_weight_decay)."""
    wd = r.opt("weight_decay")
    shrink = 1.0 - r.lr * wd
    box = 1.0 / wd if wd > 0 else None
    text = (f"a spring outside the preconditioner: each tick x first shrinks by 1 - lr*wd = "
            f"{shrink:.6g}, whatever the gradient's history; x_i holds still only where the "
            f"normalized step lr*m/(sqrt(v)+eps) balances lr*wd*x_i, so inside "
            + (f"|x_i| < 1/wd = {box:.4g} (L2 is the same spring inside, divided by sqrt(v))"
               if box is not None else "any box at wd 0"))
    return text, {"shrink_per_tick": shrink, "box_half_width": box}


def decay_reading(r, what: str) -> Reading:
    text, numbers = decay_clause(r)
    return Reading(f"{what} plus {text}", {**numbers, "first_step_max": r.lr})


SPEC = RuleSpec(
    name="adamw",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(255, 70, 110),
    summary="AdamW: Adam with decoupled weight decay (torch.optim.AdamW)",
    params=(
        ParamSpec("lr", 1e-3, float, lo=0.0, lo_ok=False),
        BETA, BETA2, EPS,
        ParamSpec("weight_decay", 1e-2, float, lo=0.0, help="decoupled: x *= 1 - lr*wd each tick"),
        AMSGRAD,
    ),
    step=step,
    counts_steps=True,
    schedulable=True,
    buffers=(BufferSpec("max_exp_avg_sq"),),
    reading=lambda r: decay_reading(r, "Adam's step"),
)
