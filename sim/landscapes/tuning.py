"""Suggested step sizes per landscape and rule Family, so every landscape looks alive and few
balls diverge.

How the table was made: curvature lambda = the largest |Hessian eigenvalue| at the known
minima; gd lr = 0.05/lambda, momentum lr = 0.02/lambda (an oscillation of about a second,
damping ratio about 0.35), newton dt = 0.1/sqrt(lambda) (about 60 ticks per oscillation);
each halved until at most 3% of 300 balls dropped at random in the default view diverge in
300 ticks; adaptive rules (adagrad, rmsprop, adam) move about lr per tick, so their lr is
0.4% of the view's size. Rounded down to 1, 2, 5 steps.
"""
from __future__ import annotations

import numpy as np

from sim.rules.dynamics import Rule

FLAT = 1e-6  # curvature at or below this: no scale to take the step from (the defaults apply)

# potential -> (gd lr, momentum / nesterov lr, newton / langevin dt, adaptive lr)
SUGGESTED: dict[str, tuple[float, float, float, float]] = {
    "bowl": (0.05, 0.02, 0.1, 0.02),
    "ravine": (0.002, 0.0005, 0.02, 0.02),
    "rosenbrock": (2e-05, 1e-05, 0.002, 0.01),
    "himmelblau": (0.0002, 0.0001, 0.005, 0.02),
    "rastrigin": (0.0001, 5e-05, 0.005, 0.02),
    "beale": (5e-05, 2e-05, 0.0005, 0.02),
    "booth": (0.002, 0.001, 0.02, 0.05),
    "matyas": (0.05, 0.02, 0.1, 0.05),
    "goldstein_price": (1e-06, 5e-07, 0.0002, 0.01),
    "six_hump_camel": (0.002, 0.0005, 0.02, 0.01),
    "three_hump_camel": (0.002, 0.001, 0.02, 0.01),
    "styblinski_tang": (0.001, 0.0005, 0.01, 0.02),
    "double_well": (0.005, 0.002, 0.02, 0.01),
    "mexican_hat": (0.005, 0.002, 0.02, 0.01),
    "saddle": (0.02, 0.01, 0.05, 0.01),
    "gaussian_wells": (0.01, 0.002, 0.02, 0.02),
}

NEWTON_METHOD_LR = 1.0  # Newton's method needs no tuning: lr 1 on every landscape


def estimate(potential) -> tuple[float, float, float, float]:
    """Suggestions for a landscape not in the table (a user's formula): the same recipe, with
    lambda the largest |Hessian eigenvalue| at the lowest points of a coarse grid."""
    x0, x1, y0, y1 = potential.view
    xs, ys = np.linspace(x0, x1, 24), np.linspace(y0, y1, 24)
    v = potential.value_grid(xs, ys)
    v = np.where(np.isfinite(v), v, np.inf)
    order = np.argsort(v, axis=None)[:8]
    ix, iy = np.unravel_index(order, v.shape)
    pts = np.column_stack([xs[ix], ys[iy]])
    with np.errstate(all="ignore"):
        h = potential.hessian(pts)
        lam = np.abs(np.linalg.eigvalsh(np.nan_to_num(h))).max(axis=1)
    lam = float(np.median(lam[np.isfinite(lam)])) if np.isfinite(lam).any() else 1.0
    size = min(x1 - x0, y1 - y0)
    if not lam > FLAT:  # flat (a constant, a plane): the rules' own defaults, not lr 2e4
        d = Rule()
        return (d.lr, d.lr, d.dt, _round(0.004 * size))
    return (_round(0.05 / lam), _round(0.02 / lam), _round(0.1 / np.sqrt(lam)), _round(0.004 * size))


def _round(x: float) -> float:
    """Round down to 1, 2 or 5 times a power of ten."""
    if not np.isfinite(x) or x <= 0:
        return 0.01
    e = np.floor(np.log10(x))
    m = x / 10**e
    return float((1 if m < 2 else 2 if m < 5 else 5) * 10**e)


def suggestions(potential) -> tuple[float, float, float, float, float]:
    """The suggested step per Family (indexed by its value): gd lr, heavy-ball lr, newton dt,
    adaptive lr, newton_method lr."""
    return (*(SUGGESTED.get(potential.name) or estimate(potential)), NEWTON_METHOD_LR)


def suggest(potential, rule: Rule) -> Rule:
    """`rule` with the step size suggested for this landscape (lr, or dt for newton family)."""
    return rule.with_step(suggestions(potential)[rule.family])


def rescale_step(rule: Rule, old: tuple | list, new: tuple | list) -> Rule:
    """`rule` moved from a landscape with suggestions `old` to one with `new`: its step scaled
    by its family's ratio, so lanes that differ only in step size stay apart (and a rule on
    the old suggestion gets the new one exactly)."""
    fam = rule.family
    return rule.with_step(rescale(rule.step_size, old[fam], new[fam]))


def rescale(step: float, old: float, new: float) -> float:
    """`step` scaled by new/old; exactly `new` when it was exactly `old`."""
    a, b = float(old), float(new)
    return b if step == a or not (a > 0 and np.isfinite(step * b / a)) else step * b / a
