"""Torch's elementwise conventions, shared by the rules transcribed from `torch.optim`
(adamw, nadam, radam, adamax, adadelta, rprop, asgd, adafactor).

Each of those rules is torch's single-tensor `step()` for one float64 parameter of shape [2],
vectorized over balls. What rounding depends on, and how it is kept here:
- Python-float scalars (lr / (1 - beta1**t), ...) are computed exactly as torch computes them
  when every ball in a block has the same step count (`common_step`); balls dropped at
  different times get the same formulas per ball with numpy (at most an ulp apart).
- `torch.lerp(a, end, w)` is a + w (end - a) for |w| < 0.5 and end - (end - a)(1 - w) above
  (ATen's two-sided formula; `lerp_` below); addcdiv is self + (value * t1) / t2 and addcmul
  self + (value * t1) * t2, in that order.
- torch keeps small per-parameter scalars (NAdam's mu_product, ASGD's eta and mu) in tensors
  of `_get_scalar_dtype()`: float32 unless the default dtype is float64. So at torch's
  defaults they round to float32 each step; `SCALAR_DTYPE` reproduces that.
torch's CPU kernels may fuse a multiply-add (an FMA, one rounding instead of two); numpy has
none, so the steps agree with torch to rounding (about 1e-16 per step), not bit for bit.
"""
from __future__ import annotations

import numpy as np

SCALAR_DTYPE = np.float32  # torch.optim.optimizer._get_scalar_dtype() at the default dtype


def common_step(s) -> int | None:
    """The step count every ball of the block shares (read after the rule's increment), or
    None when they differ. Honours `s.same_steps` (one decision for all blocks of a tick)."""
    t = s.steps
    if not len(t):
        return None
    same = s.same_steps
    if same is None:
        same = bool(t[0] == t[-1]) and bool(t.min() == t.max())
    return int(t[0]) if same else None


def step_column(s) -> np.ndarray:
    """Each ball's step count as a float64 column [n, 1] (for per-ball scalars)."""
    return s.steps.astype(np.float64)[:, None]


def lerp_(a: np.ndarray, end: np.ndarray, w, scratch: np.ndarray) -> None:
    """a <- torch.lerp(a, end, w) in place. a, end, scratch: [n, 2]; w a float or [n, 1]."""
    np.subtract(end, a, out=scratch)
    if np.ndim(w) == 0:
        w = float(w)
        if abs(w) < 0.5:
            scratch *= w
            a += scratch
        else:
            scratch *= 1.0 - w
            np.subtract(end, scratch, out=a)
        return
    small = np.abs(w) < 0.5
    near = a + w * scratch
    far = end - scratch * (1.0 - w)
    np.copyto(a, np.where(small, near, far))


def weight_decay_(s, g: np.ndarray, lr: float, weight_decay: float, decoupled: bool = False) -> None:
    """torch's weight decay before the step, nothing at weight_decay 0: decoupled,
    param.mul_(1 - lr * weight_decay); else coupled (L2), g <- g + wd param (s.tmp2 scratch)."""
    if weight_decay != 0:
        if decoupled:
            s.pos *= 1.0 - lr * weight_decay  # param.mul_(1 - lr * weight_decay)
        else:
            np.multiply(s.pos, weight_decay, out=s.tmp2)
            g += s.tmp2  # grad = grad.add(param, alpha=weight_decay)


def adam_moments_(s, g: np.ndarray, beta1: float, beta2: float) -> tuple[np.ndarray, np.ndarray]:
    """Adam's two moments updated in place and returned, (m, v) = (s.buf_a, s.buf_b), s.tmp2
    scratch: exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad,
    value=1 - beta2), that is v + ((1 - beta2) g) g."""
    m, v = s.buf_a, s.buf_b
    lerp_(m, g, 1.0 - beta1, s.tmp2)
    v *= beta2
    np.multiply(g, 1.0 - beta2, out=s.tmp2)
    s.tmp2 *= g
    v += s.tmp2
    return m, v


def fresh_rows(s) -> np.ndarray | None:
    """The balls that have not stepped yet (a new torch optimizer state), or None if none:
    where a rule's state starts at something other than zero (Rprop's step sizes, ASGD's eta)."""
    fresh = s.steps == 0
    return fresh if fresh.any() else None


def norm2(x: np.ndarray) -> np.ndarray:
    """torch's x.norm(2) per ball: [n, 2] -> [n]."""
    return np.sqrt(x[:, 0] * x[:, 0] + x[:, 1] * x[:, 1])


def rms(x: np.ndarray) -> np.ndarray:
    """torch's x.norm(2) / numel**0.5 per ball: [n, 2] -> [n]."""
    return norm2(x) / 2.0**0.5


TABLE_SPAN = 4096  # per_step: at most this many distinct step counts get Python's own floats


def per_step(fn, s) -> np.ndarray:
    """fn(t) for each ball's step count t, as a float64 column [n, 1], each value computed by
    Python's float arithmetic (as torch computes its scalars) once per distinct count: where a
    value is then rounded to float32 (NAdam's mu, ASGD's eta) an ulp of numpy's pow could flip
    the rounding. Counts spread over more than TABLE_SPAN values fall back to fn on arrays."""
    t = s.steps
    lo, hi = int(t.min()), int(t.max())
    if hi - lo < TABLE_SPAN:
        table = np.array([fn(float(k)) for k in range(lo, hi + 1)], dtype=np.float64)
        return table[t - lo][:, None]
    return np.asarray(fn(t.astype(np.float64)), dtype=np.float64)[:, None]
