"""Schedule-free AdamW (Defazio et al. 2024), as facebookresearch/schedule_free implements it
(schedulefree/adamw_schedulefree.py, class AdamWScheduleFree), for one 2-vector parameter per
ball. The same three points as sgd_schedulefree (x shown, y where the gradient is taken, z the
base iterate; see that module), with Adam's normalization of the gradient at y:

    v <- beta2 v + (1 - beta2) g g;  d = sqrt(v / (1 - beta2^(k+1))) + eps
    m <- im m + (1 - im) g           (only with inner_momentum im != 0; else m/(1 - im^(k+1)) is g)
    n = m / (1 - im^(k+1)) / d;  n += wd y   (decay at y, after the normalization)
    then y, z, x as in sgd_schedulefree with n for g and beta1 for momentum.

v is buf_b, m is buf_a. No first-moment bias correction without inner momentum (the reference
has none: the averaging plays that part).
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.beyond.sgd_schedulefree import AVERAGING_PARAMS, BUFFERS, begin, finish


def _bias(beta: float, s, same: bool):
    """1 - beta^(k+1) per ball: a float when all balls share k (Python's pow, as the reference),
    else [n, 1]."""
    k = s.steps
    if same:
        return 1.0 - beta ** (int(k[0]) + 1)
    return (1.0 - np.power(beta, k.astype(np.float64) + 1.0))[:, None]


def step(r, s, V, rng) -> bool:
    """One schedule-free AdamW tick for every ball (y, z, weight_sum, lr_max in s.bufs; v = buf_b, m = buf_a)."""
    b1, b2 = r.opt("beta"), r.opt("beta2")
    eps, decay, im = r.opt("eps"), r.opt("weight_decay"), r.opt("inner_momentum")
    same, lr, c, g = begin(r, s, V, (s.buf_a, s.buf_b))
    bc2 = _bias(b2, s, same)  # bias_correction2 = 1 - beta2 ** (k+1)
    v = s.buf_b
    v *= b2
    np.multiply(g, 1.0 - b2, out=s.tmp)
    s.tmp *= g
    v += s.tmp  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2): v + (w g) g
    np.divide(v, bc2, out=s.tmp)
    np.sqrt(s.tmp, out=s.tmp)
    s.tmp += eps  # denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)
    if im != 0.0:
        m = s.buf_a
        m *= im
        np.multiply(g, 1.0 - im, out=s.tmp2)
        m += s.tmp2  # exp_avg.mul_(inner_momentum).add_(grad, alpha=1-inner_momentum)
        np.divide(m, _bias(im, s, same), out=g)
        g /= s.tmp  # exp_avg.div(bias_correction1).div_(denom)
    else:
        g /= s.tmp  # grad.div_(denom)
    finish(r, s, g, lr, c, b1, decay)  # grad_normalized.add_(y, alpha=decay), then y, z, x
    return False


def reading(r) -> Reading:
    lr, b1 = r.lr, r.opt("beta")
    sentence = (f"The ball is x, the centre of mass of the path of an Adam-normalized walker z "
                f"(each coordinate of z moves about lr = {lr:.4g} per tick: a speed limit); the "
                f"force is felt at y = {1 - b1:.3g}·z + {b1:.3g}·x and x moves the fraction c_k "
                "toward z each tick (c_k = 1/(k+1) at r = 0 without warmup)")
    return Reading(sentence + ".", {"lr": lr, "y_weight_x": b1,
                                    "speed_diagonal": lr * math.sqrt(2.0)})


SPEC = RuleSpec(
    name="adamw_schedulefree",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(230, 130, 230),
    summary="Schedule-free AdamW: the ball is the running average x of an Adam walker z, "
            "the gradient taken between them",
    params=(
        ParamSpec("lr", 0.0025, lo=0.0, lo_ok=False, help="learning rate (the reference's default)"),
        ParamSpec("beta", 0.9, lo=0.0, lo_ok=False, hi=1.0, help="beta1: y = (1-beta1) z + beta1 x"),
        ParamSpec("beta2", 0.999, lo=0.0, hi=1.0, help="the squared gradient's decay"),
        ParamSpec("eps", 1e-8, lo=0.0, lo_ok=False, help="added to the root in the denominator"),
        ParamSpec("weight_decay", 0.0, lo=0.0, help="wd y added after the normalization"),
        *AVERAGING_PARAMS,
        ParamSpec("inner_momentum", 0.0, lo=0.0, hi=1.0, help="an EMA of g inside the Adam step"),
    ),
    step=step,
    counts_steps=True,
    buffers=BUFFERS,
    # adaptive and time-dependent: no constant map, no modified loss, no temperature
    reading=reading,
)
