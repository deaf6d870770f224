"""The adaptive optimizers AdaGrad, RMSProp and Adam (torch.optim, one parameter vector [x, y]
per ball, operation for operation where it matters for rounding). Fresh buffers at a switch."""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import BufferSpec, Family, ParamSpec, RuleSpec
from sim.rules.classic.gd import LR, WEIGHT_DECAY, l2
from sim.rules.classic.heavy_ball import BETA


def _eps(default: float) -> ParamSpec:
    return ParamSpec("eps", default, lo=0.0, lo_ok=False, help="added to the denominator")


ALPHA = ParamSpec("alpha", 0.99, lo=0.0, hi=1.0, help="smoothing constant")
BETA2 = ParamSpec("beta2", 0.999, lo=0.0, hi=1.0, help="second-moment decay")


def step_adagrad(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    l2(r, s, g)  # torch: grad = grad.add(param, alpha=weight_decay) before the sum
    np.multiply(g, g, out=s.tmp2)
    s.buf_b += s.tmp2  # state_sum.addcmul_(grad, grad)
    np.sqrt(s.buf_b, out=s.tmp2)
    s.tmp2 += r.eps_value  # std = state_sum.sqrt().add_(eps)
    g /= s.tmp2
    g *= r.lr
    s.pos -= g  # param.addcdiv_(grad, std, value=-lr)
    s.steps += 1
    return False


def step_rmsprop(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    l2(r, s, g)
    sq = s.buf_b
    sq *= r.alpha
    np.multiply(g, g, out=s.tmp2)
    s.tmp2 *= 1.0 - r.alpha
    sq += s.tmp2  # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    np.sqrt(sq, out=s.tmp2)
    s.tmp2 += r.eps_value  # avg = square_avg.sqrt().add_(eps)
    g /= s.tmp2
    g *= r.lr
    s.pos -= g
    s.steps += 1
    return False


def step_adam(r, s, V, rng) -> bool:
    wd, amsgrad = r.opt("weight_decay"), r.opt("amsgrad")
    if wd != 0 or amsgrad:  # torch's Adam with its options (sim/rules/adamw.py, the same code)
        from sim.rules.torch_optim.adamw import adam_update
        return adam_update(r, s, V, weight_decay=wd, decoupled=bool(r.opt("decoupled_weight_decay")),
                           amsgrad=bool(amsgrad), v_max=s.bufs["max_exp_avg_sq"] if amsgrad else None)
    g = V.grad(s.pos, out=s.tmp)
    b1, b2 = r.beta, r.beta2
    s.steps += 1
    m, v = s.buf_a, s.buf_b
    np.subtract(g, m, out=s.tmp2)
    s.tmp2 *= 1.0 - b1
    m += s.tmp2  # exp_avg.lerp_(grad, 1 - beta1)
    v *= b2
    np.multiply(g, g, out=s.tmp2)
    s.tmp2 *= 1.0 - b2
    v += s.tmp2  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    t = s.steps
    same = s.same_steps
    if same is None:
        same = bool(len(t)) and t[0] == t[-1] and (t.min() == t.max())
    if same and len(t):
        k = int(t[0])
        step_size = r.lr / (1.0 - b1**k)
        bc2_sqrt = math.sqrt(1.0 - b2**k)
    else:  # particles dropped at different times carry different step counts
        step_size = (r.lr / (1.0 - np.power(b1, t)))[:, None]
        bc2_sqrt = np.sqrt(1.0 - np.power(b2, t))[:, None]
    np.sqrt(v, out=s.tmp2)
    s.tmp2 /= bc2_sqrt
    s.tmp2 += r.eps_value  # denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    np.divide(m, s.tmp2, out=g)
    g *= step_size
    s.pos -= g  # param.addcdiv_(exp_avg, denom, value=-step_size)
    return False


ADAGRAD = RuleSpec(
    name="adagrad", family=Family.ADAPTIVE, group="adaptive", color=(130, 225, 255),
    summary="s += g^2;  x -= lr g / (sqrt(s) + eps)", params=(LR, _eps(1e-10), WEIGHT_DECAY),
    step=step_adagrad, counts_steps=True, schedulable=True,
)
RMSPROP = RuleSpec(
    name="rmsprop", family=Family.ADAPTIVE, group="adaptive", color=(175, 150, 255),
    summary="s = alpha s + (1-alpha) g^2;  x -= lr g / (sqrt(s) + eps)",
    params=(LR, ALPHA, _eps(1e-8), WEIGHT_DECAY), step=step_rmsprop, counts_steps=True, schedulable=True,
)
ADAM = RuleSpec(
    name="adam", family=Family.ADAPTIVE, group="adaptive", color=(255, 95, 215),
    summary="torch Adam with bias correction (beta, beta2, eps)",
    params=(LR, BETA, BETA2, _eps(1e-8), WEIGHT_DECAY,
            ParamSpec("amsgrad", False, bool, help="divide by the running max of v (AMSGrad)"),
            ParamSpec("decoupled_weight_decay", False, bool, help="AdamW's decay instead of L2")),
    step=step_adam, counts_steps=True, schedulable=True, buffers=(BufferSpec("max_exp_avg_sq"),),
)
SPECS = (ADAGRAD, RMSPROP, ADAM)
