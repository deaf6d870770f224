"""Gradient descent: x <- x - lr g (torch SGD without momentum)."""
from __future__ import annotations

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.linear import mat1

LR = ParamSpec("lr", 0.01, lo=0.0, lo_ok=False, help="learning rate")


def step_gd(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    g *= r.lr
    s.pos -= g
    return False


def gd_map(r, lam):
    """x <- (1 - lr lam) x."""
    return mat1(1.0 - r.lr * lam)


def gd_modified(r) -> float:
    """Backward error: the iterates follow the gradient flow of V + (lr/4)|grad V|^2 to O(lr^2)."""
    return r.lr / 4.0


def gd_reading(r) -> Reading:
    return Reading("Newton's law overdamped: friction f moves the ball at velocity -grad V / f; "
                   "one tick of length dt is lr = dt / f (any dt)", {"mobility (lr)": r.lr})


SPEC = RuleSpec(
    name="gd", family=Family.GD, group="gradient", color=(255, 255, 255),
    summary="x -= lr g", params=(LR,), step=step_gd, schedulable=True,
    linear_map=gd_map, plane="momentum", modified_loss=gd_modified, noise_factor=lambda r: 1.0, reading=gd_reading,
)
