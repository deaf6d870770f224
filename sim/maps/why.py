"""Maps of why a ball moves as it does: phase portrait, where the step size breaks, the modified
loss gradient descent really follows, and the edge of stability.

Numbers only (never imports pygame). Positions are float64 [n, 2] in world units; grids are
[w, h] with x first (indexing="ij", as pygame.surfarray wants); curvatures are Hessian
eigenvalues (1/time^2 per unit mass). The one-step maps are those of `sim.maps`.
"""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from sim.maps.rates import STABLE_TOL, spectral_radius
from sim.maps.quadratic import sym_eigs
from sim.rules.dynamics import Rule
from sim.support.eig2 import sym_eigvals
from sim.landscapes.base import Potential
from sim.rules import linear

# --- constants ---------------------------------------------------------------------------------
PHASE_CAPACITY = 4096  # samples a PhaseTrace keeps (the oldest drop out)
BREAKS_CACHE_SIZE = 8
LIMIT_DOUBLINGS = 200
LIMIT_BISECT = 80
ADAPTIVE = ("adagrad", "rmsprop", "adam")


# ================================================================================================
# Curvature on a grid and along a path
# ================================================================================================

def lam_max(potential: Potential, pos: np.ndarray) -> np.ndarray:
    """Largest Hessian eigenvalue at each position pos [n, 2] -> [n], closed form."""
    h = potential.hessian(np.asarray(pos, dtype=np.float64).reshape(-1, 2))
    return sym_eigvals(h)[0]


def lam_max_grid(potential: Potential, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Largest Hessian eigenvalue on the grid xs [w] x ys [h] -> [w, h]."""
    X, Y = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
    return lam_max(potential, np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)


def curvature_limit(rule: Rule) -> float:
    """The largest curvature lam on which `rule`'s one-step map (its RuleSpec.linear_map) is
    still stable (rate <= 1): gd 2/lr, momentum 2(1+beta)/lr, verlet 4m/dt^2, newton_method
    inf (|1 - lr| < 1 whatever the curvature) ... nan where the rule has no linear map.
    Remembered per rule (the breaks overlay asks every frame)."""
    return _curvature_limit(rule)


@functools.lru_cache(maxsize=64)
def _curvature_limit(rule: Rule) -> float:
    return linear.curvature_limit(rule)


def edge_of_stability(potential: Potential, rule: Rule, path: np.ndarray) -> tuple[np.ndarray, float]:
    """lam_max along a path [k, 2] -> ([k], the rule's curvature limit, 2/lr for gd): gradient
    descent at a fixed lr tends to climb until lam_max hovers at the limit (Cohen et al. 2021)."""
    return lam_max(potential, path), curvature_limit(rule)


# ================================================================================================
# Where the step size breaks
# ================================================================================================

def breaks_mask(potential: Potential, rule: Rule, xs: np.ndarray, ys: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Where `rule`'s step is beyond its exact stability limit for the local curvature.

    Grid xs [w] x ys [h]. Returns (mask [w, h] bool: lam_max(x) > 0 and the one-step map at
    lam_max unstable, e.g. lr lam_max > 2 for gd; lam [w, h] the largest curvature). The mask
    is all False where the rule has no linear map (adaptive, time-dependent: see
    linear.has_map).
    """
    lam = lam_max_grid(potential, xs, ys)
    with np.errstate(all="ignore"):
        rho = linear.rates(rule, lam)
        if rho is None:  # no linear map: nothing is known to break (the overlay says n/a)
            return np.zeros(lam.shape, dtype=bool), lam
        mask = (lam > 0) & ~(rho <= 1.0 + linear.STABLE_TOL)
    return mask, lam


class BreaksCache:
    """breaks_mask cached per (potential, rule setting, grid): the overlay asks every frame."""

    def __init__(self, size: int = BREAKS_CACHE_SIZE) -> None:
        self.size = size
        self.store: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.misses = 0

    def get(self, potential: Potential, rule: Rule, view: Sequence[float],
            shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(mask, lam) on a shape = (w, h) grid of cell centers over view (x0, x1, y0, y1)."""
        key = (potential.cache_key, rule, tuple(float(v) for v in view), tuple(int(s) for s in shape))
        hit = self.store.get(key)
        if hit is None:
            self.misses += 1
            x0, x1, y0, y1 = (float(v) for v in view)
            w, h = int(shape[0]), int(shape[1])
            xs = x0 + (np.arange(w) + 0.5) * (x1 - x0) / w
            ys = y0 + (np.arange(h) + 0.5) * (y1 - y0) / h
            hit = breaks_mask(potential, rule, xs, ys)
            if len(self.store) >= self.size:
                self.store.pop(next(iter(self.store)))
            self.store[key] = hit
        return hit


# ================================================================================================
# The modified loss (Barrett & Dherin 2021, "Implicit Gradient Regularization")
# ================================================================================================

class ModifiedLoss(Potential):
    """V + c |grad V|^2: the loss whose gradient flow a rule's iterates follow to second order
    in the step, c = RuleSpec.modified_loss(rule) (gd: lr/4). grad = g + 2c H g (exact: the
    base's gradient and Hessian). The Hessian would need third derivatives: `hessian` raises
    NotImplementedError."""

    def __init__(self, base: Potential, coeff: float) -> None:
        super().__init__(name=f"{base.name}~", formula=f"V + {coeff:g}|∇V|²", view=base.view,
                         log_scale=base.log_scale, bounded_below=base.bounded_below)
        self.base = base
        self.coeff = float(coeff)

    def _value(self, x, y):
        shape = np.shape(x)
        p = np.column_stack([np.ravel(x), np.ravel(y)])
        g = self.base.grad(p)
        v = self.base.value(p) + self.coeff * (g[:, 0] ** 2 + g[:, 1] ** 2)
        return v.reshape(shape)

    def _grad(self, x, y):
        p = np.column_stack([np.ravel(x), np.ravel(y)])
        g = self.base.grad(p)
        h = self.base.hessian(p)
        hg = np.einsum("nij,nj->ni", h, g)
        out = g + 2.0 * self.coeff * hg
        return out[:, 0].reshape(np.shape(x)), out[:, 1].reshape(np.shape(x))

    def _hessian(self, x, y):
        raise NotImplementedError("the modified loss has no exact Hessian (third derivatives)")


def modified_coefficient(rule: Rule) -> float | None:
    """c of the loss V + c|grad V|^2 the rule's iterates follow (RuleSpec.modified_loss); None
    where the rule has none (adaptive, newton_method, the newton family, nesterov_ode ...)."""
    return rule.spec.modified_loss(rule)


def modified_title(rule: Rule) -> str:
    c = modified_coefficient(rule)
    if c is None:
        return f"modified loss: n/a for {rule.name}"
    return f"the loss {rule.name} really follows: V + {c:.4g}|∇V|²"


# ================================================================================================
# Phase portrait
# ================================================================================================

def phase_portrait(pos: np.ndarray, vel: np.ndarray, center: Sequence[float],
                   hessian: np.ndarray, which: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A path's phase portrait along one eigen-direction of `hessian` [2, 2] at `center` [2].

    pos [k, 2], vel [k, 2] (velocity, or the displacement per tick for an optimizer).
    which = 0: the leading (largest-curvature) direction, 1: the other. Returns (q [k] the
    position along the direction from the center, p [k] the velocity along it, e [2] the unit
    direction, lam its curvature). e's sign is fixed so its largest component is positive.
    """
    lams, vecs = sym_eigs(np.asarray(hessian, dtype=np.float64))
    e = vecs[:, int(which)].copy()
    if e[np.argmax(np.abs(e))] < 0:
        e = -e
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
    vel = np.asarray(vel, dtype=np.float64).reshape(-1, 2)
    q = (pos - np.asarray(center, dtype=np.float64).reshape(1, 2)) @ e
    return q, vel @ e, e, float(lams[int(which)])


def ball_velocity(rule: Rule, vel: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """The velocity a phase portrait plots for one ball, [k, 2] in world units per unit time:
    newton / langevin their velocity; momentum -lr u (exactly its last displacement per tick);
    other rules nan (PhaseTrace then uses the displacement between samples)."""
    if rule.newtonian:
        return np.asarray(vel, dtype=np.float64)
    if rule.name == "momentum":
        return -rule.lr * np.asarray(buf, dtype=np.float64)
    return np.full(np.shape(vel), np.nan)


class PhaseTrace:
    """A ring buffer of one ball's (position, velocity) samples, for the phase portrait.

    push(pos [2], vel [2]); a nan velocity is replaced by the displacement since the previous
    sample divided by `tick_time` x ticks between them. arrays() -> (pos [k, 2], vel [k, 2]).
    """

    def __init__(self, capacity: int = PHASE_CAPACITY) -> None:
        self.capacity = int(capacity)
        self.pos = np.zeros((self.capacity, 2))
        self.vel = np.zeros((self.capacity, 2))
        self.count = 0
        self.key: object = None
        self._last_tick = 0

    def clear(self, key: object = None) -> None:
        self.count = 0
        self.key = key

    def push(self, pos: Sequence[float], vel: Sequence[float], tick: int = 0,
             tick_time: float = 1.0) -> None:
        p = np.asarray(pos, dtype=np.float64).reshape(2)
        v = np.asarray(vel, dtype=np.float64).reshape(2)
        if not np.isfinite(v).all():
            if self.count:
                prev = self.pos[(self.count - 1) % self.capacity]
                dt = max(tick - self._last_tick, 1) * tick_time
                v = (p - prev) / dt
            else:
                v = np.zeros(2)
        i = self.count % self.capacity
        self.pos[i], self.vel[i] = p, v
        self.count += 1
        self._last_tick = tick

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        k = min(self.count, self.capacity)
        if self.count <= self.capacity:
            return self.pos[:k].copy(), self.vel[:k].copy()
        i = self.count % self.capacity
        order = np.r_[i:self.capacity, 0:i]
        return self.pos[order], self.vel[order]


def damping_kind(rule: Rule, lam: float) -> str:
    """'underdamped' (complex roots: a spiral), 'overdamped' (real, same sign: straight in),
    'oscillating' (a negative real root: zig-zag), 'unstable', or 'n/a' along curvature lam."""
    m = linear.one_step(rule, lam) if lam > 0 else None
    if m is None or m.shape[-1] > 2 or not np.isfinite(m).all():
        return "n/a"
    t, d = (float(v) for v in linear.trace_det(m))
    if spectral_radius(t, d) > 1.0 + STABLE_TOL:
        return "unstable"
    if t * t - 4.0 * d < 0.0:
        return "underdamped"
    return "oscillating" if t < 0.0 else "overdamped"


def modified_grids(potential: Potential, coeff: float, xs: np.ndarray, ys: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(V [w, h], V + c|grad V|^2 [w, h]) on the grid xs [w] x ys [h] (V evaluated once);
    c = modified_coefficient(rule) (gd lr/4)."""
    v = potential.value_grid(xs, ys)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    p = np.empty((len(xs), len(ys), 2))
    p[..., 0] = xs[:, None]
    p[..., 1] = ys[None, :]
    g = potential.grad(p.reshape(-1, 2)).reshape(len(xs), len(ys), 2)
    return v, v + float(coeff) * (g[..., 0] ** 2 + g[..., 1] ** 2)


def contour_levels(v: np.ndarray, count: int, log: bool = False) -> np.ndarray:
    """`count` contour levels [count] spread over the finite values of v by quantile (so every
    part of the map gets lines), strictly increasing; empty when v has no spread."""
    a = np.asarray(v, dtype=np.float64)
    a = a[np.isfinite(a)]
    if not len(a) or not a.max() > a.min():
        return np.zeros(0)
    q = np.quantile(a, (np.arange(count) + 0.5) / count)
    return np.unique(q)


def phase_center(potential: Potential, pos: Sequence[float], reach: float) -> np.ndarray:
    """The point a phase portrait is drawn around for a ball at pos [2]: the nearest listed
    minimum within `reach` (world units), else the minimum of the quadratic model at pos
    (pos - H^-1 grad V) when H is positive definite, else pos itself."""
    p = np.asarray(pos, dtype=np.float64).reshape(2)
    minima = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
    if len(minima):
        d = np.hypot(*(minima - p).T)
        if d.min() <= reach:
            return minima[int(d.argmin())].copy()
    h = potential.hessian(p.reshape(1, 2))[0]
    g = potential.grad(p.reshape(1, 2))[0]
    det = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
    if h[0, 0] > 0 and det > 0 and np.isfinite(det):
        step = np.array([h[1, 1] * g[0] - h[0, 1] * g[1], h[0, 0] * g[1] - h[1, 0] * g[0]]) / det
        return p - step
    return p.copy()
