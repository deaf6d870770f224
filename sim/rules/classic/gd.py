"""Gradient descent: x <- x - lr g (torch SGD without momentum)."""
from __future__ import annotations

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.linear import mat1
from sim.rules.torch_optim.torch_like import weight_decay_

LR = ParamSpec("lr", 0.01, lo=0.0, lo_ok=False, help="learning rate")
WEIGHT_DECAY = ParamSpec("weight_decay", 0.0, lo=0.0, help="L2: grad += weight_decay * x (torch's coupled decay)")


def l2(r, s, g) -> None:
    """torch's coupled weight decay, grad = grad.add(param, alpha=weight_decay), only where it
    is set (at 0 a step runs exactly the operations it ran before the option existed)."""
    weight_decay_(s, g, r.lr, r.opt("weight_decay"))


def step_gd(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    l2(r, s, g)
    g *= r.lr
    s.pos -= g
    return False


def gd_map(r, lam):
    """x <- (1 - lr lam) x (with L2: lam + weight_decay)."""
    return mat1(1.0 - r.lr * (lam + r.opt("weight_decay")))


def gd_modified(r) -> float:
    """Backward error: the iterates follow the gradient flow of V + (lr/4)|grad V|^2 to O(lr^2)
    (None with weight decay: the ball then follows V + wd|x|^2/2)."""
    return r.lr / 4.0 if r.opt("weight_decay") == 0 else None


def gd_reading(r) -> Reading:
    return Reading("Newton's law overdamped: friction f moves the ball at velocity -grad V / f; "
                   "one tick of length dt is lr = dt / f (any dt)", {"mobility (lr)": r.lr})


SPEC = RuleSpec(
    name="gd", family=Family.GD, group="gradient", color=(255, 255, 255),
    summary="x -= lr g", params=(LR, WEIGHT_DECAY), step=step_gd, schedulable=True,
    linear_map=gd_map, plane="momentum", modified_loss=gd_modified, noise_factor=lambda r: 1.0 if r.opt("weight_decay") == 0 else None,
    reading=gd_reading,
)
