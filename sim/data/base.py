"""What every data landscape shares: the data, minibatch gradients, per-example gradients,
and a map evaluated on a coarse grid when the exact one would be slow.

A ball at position p [2] is a model with two parameters; V(p) is the model's loss on the
data. Positions are float64 [m, 2]; index sets are integer [m, B] (a minibatch per ball).
"""
from __future__ import annotations

import numpy as np

from sim.data.minibatch import MinibatchField, effective_batch
from sim.data.sets import Dataset
from sim.landscapes.base import Potential, View

L2_DEFAULT = 1e-3
EXACT_GRID_POINTS = 4096  # value_grid evaluates every point exactly up to this many
DRAFT_REQUEST = 400_000  # a request with fewer points is a draft (the window's half-resolution map)
DRAFT_BUDGET_NS = 30e6  # time budget of a draft map's exact evaluations
FULL_BUDGET_NS = 250e6  # and of a full map's
MIN_GRID_SIDE = 24


class DataPotential(Potential):
    """A `Potential` made from a `Dataset`. Subclasses implement `_value_pos`, `_grad_pos`,
    `_hessian_pos` over positions [m, 2] and `example_grads`, `minibatch_grad`."""

    kind = "regression"  # the kind of data set the model takes
    has_example_hessians = False  # example_hessians exists (the SGD heat view's moving C(x))
    retrains = False  # built over several frames (`advance`), e.g. the network's loss plane
    NS_PER_EXAMPLE = 100.0  # rough cost of one (point, example) evaluation, for the map budget

    def __init__(self, name: str, formula: str, data: Dataset, view: View, l2: float = L2_DEFAULT) -> None:
        super().__init__(name=name, formula=formula, view=view)
        self.data = data
        self.l2 = float(l2)

    # -- the Potential interface ---------------------------------------------------------
    def value(self, pos: np.ndarray) -> np.ndarray:
        """Loss of each ball's model on the whole data set: pos [m, 2] -> [m]."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        with np.errstate(all="ignore"):
            return np.asarray(self._value_pos(pos), dtype=np.float64)

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Exact full-batch gradient: pos [m, 2] -> [m, 2] (into `out` when given; may alias pos)."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        with np.errstate(all="ignore"):
            g = self._grad_pos(pos)
        if out is None:
            return g
        out[...] = g
        return out

    def hessian(self, pos: np.ndarray) -> np.ndarray:
        """Exact Hessian: pos [m, 2] -> [m, 2, 2]."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        with np.errstate(all="ignore"):
            return self._hessian_pos(pos)

    def value_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """V on a grid (indexing="ij"): xs [w], ys [h] -> [w, h].

        Up to EXACT_GRID_POINTS points (or when the data are cheap) every point is exact; a
        larger map is evaluated exactly on a coarser grid that fits a time budget (DRAFT_ or
        FULL_BUDGET_NS) and interpolated bilinearly: it is a picture, never a force.
        """
        xs = np.asarray(xs, dtype=np.float64).ravel()
        ys = np.asarray(ys, dtype=np.float64).ravel()
        total = len(xs) * len(ys)
        budget = DRAFT_BUDGET_NS if total < DRAFT_REQUEST else FULL_BUDGET_NS
        cost = self.NS_PER_EXAMPLE * self.cost_per_point()
        points = max(MIN_GRID_SIDE**2, int(budget / cost)) if cost > 0 else total
        if total <= max(points, EXACT_GRID_POINTS) or not (_monotonic(xs) and _monotonic(ys)):
            return self._exact_grid(xs, ys)
        scale = np.sqrt(points / total)
        kx = int(min(len(xs), max(MIN_GRID_SIDE, len(xs) * scale)))
        ky = int(min(len(ys), max(MIN_GRID_SIDE, len(ys) * scale)))
        cx = np.linspace(xs[0], xs[-1], kx)
        cy = np.linspace(ys[0], ys[-1], ky)
        return bilinear(self._exact_grid(cx, cy), cx, cy, xs, ys)

    def _exact_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        v = self._map_values(np.column_stack([gx.ravel(), gy.ravel()]))
        return v.reshape(len(xs), len(ys))

    def _map_values(self, pos: np.ndarray) -> np.ndarray:
        """Values for the map (subclasses may trade precision for speed here)."""
        return self.value(pos)

    def cost_per_point(self) -> float:
        """How many example evaluations one value costs (the map's budget unit)."""
        return float(self.data.n)

    # -- minibatches and noise -----------------------------------------------------------
    def example_grads(self, p: np.ndarray) -> np.ndarray:
        """Gradient of each example's loss (regularizer included) at one position p [2]: [n, 2].
        Their mean is grad V(p)."""
        raise NotImplementedError

    def minibatch_grad(self, pos: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Mean gradient over each ball's own examples: pos [m, 2], idx [m, B] -> [m, 2]."""
        raise NotImplementedError

    def example_hessians(self, p: np.ndarray) -> np.ndarray:
        """Hessian of each example's loss at one position p [2]: [n, 2, 2] (where
        has_example_hessians)."""
        raise NotImplementedError

    def gradient_field(self, batch: int, rng: np.random.Generator) -> "Potential | MinibatchField":
        """Itself at full batch (batch 0 or >= n), else a MinibatchField drawing from `rng`."""
        b = effective_batch(batch, self.data.n)
        return MinibatchField(self, b, rng) if b else self

    def config(self) -> dict:
        """What a scene needs beyond the data to build this landscape again."""
        return {"l2": self.l2}


def is_data(potential) -> bool:
    """Whether a landscape is made from data (a DataPotential)."""
    return isinstance(potential, DataPotential)


def _monotonic(a: np.ndarray) -> bool:
    d = np.diff(a)
    return len(a) >= 2 and bool(np.isfinite(a).all()) and (bool(np.all(d > 0)) or bool(np.all(d < 0)))


def bilinear(v: np.ndarray, cx: np.ndarray, cy: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Interpolate v [kx, ky] given at (cx, cy) to the points (xs, ys): -> [len(xs), len(ys)]."""
    def weights(c: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if c[-1] < c[0]:  # a decreasing axis (screen rows run downwards): search on -c
            c, q = -c, -q
        i = np.clip(np.searchsorted(c, q) - 1, 0, len(c) - 2)
        t = np.clip((q - c[i]) / (c[i + 1] - c[i]), 0.0, 1.0)
        return i, t
    ix, tx = weights(cx, xs)
    iy, ty = weights(cy, ys)
    rows = v[ix] * (1.0 - tx)[:, None] + v[ix + 1] * tx[:, None]  # [w, ky]
    return rows[:, iy] * (1.0 - ty)[None, :] + rows[:, iy + 1] * ty[None, :]


def newton_minimum(pot: Potential, start: np.ndarray, steps: int = 60) -> np.ndarray | None:
    """A local minimum by damped Newton on the exact gradient and Hessian from start [2];
    None when it does not converge to a point with a positive definite Hessian."""
    p = np.asarray(start, dtype=np.float64).reshape(1, 2).copy()
    for _ in range(steps):
        g = pot.grad(p)[0]
        h = pot.hessian(p)[0]
        lam = np.linalg.eigvalsh(h)
        if not np.all(np.isfinite(lam)):
            return None
        shift = max(0.0, -lam[0] + 1e-6 * max(1.0, abs(lam[1])))
        step = np.linalg.solve(h + shift * np.eye(2), g)
        v0 = pot.value(p)[0]
        t = 1.0
        while t > 1e-6 and not pot.value(p - t * step)[0] <= v0:
            t *= 0.5
        p -= t * step
        if np.all(np.abs(t * step) <= 1e-15 * (1.0 + np.abs(p))):
            break
    h = pot.hessian(p)[0]
    g = pot.grad(p)[0]
    lam = np.linalg.eigvalsh(h)
    if not (np.all(np.isfinite(p)) and lam[0] > 0 and np.linalg.norm(g) <= 1e-9 * (1.0 + np.abs(lam).max())):
        return None
    return p[0]
