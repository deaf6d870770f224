"""A formula as a landscape: exact gradient and Hessian, view checks, the minimum search."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from sim.landscapes.base import Potential, View
from sim.landscapes.formula.derivative import differentiate
from sim.landscapes.formula.errors import FormulaError
from sim.landscapes.formula.evaluate import Program
from sim.landscapes.formula.nodes import Expr, const, fmt_number, postorder, structure
from sim.landscapes.formula.parser import normalize_formula, parse_formula


DEFAULT_VIEW: View = (-3.0, 3.0, -3.0, 3.0)
LOG_SCALE_DECADES = 2.5  # log shading when max(V - Vmin) / its 5th percentile spans more decades
MINIMA_GRID = 12  # starts per axis for the minimum search
MINIMA_ITERS = 60
MINIMA_BUDGET_S = 0.04  # wall-clock budget of the minimum search
MINIMA_MAX = 8
MINIMA_GRAD_TOL = 1e-8


# ---------------------------------------------------------------------------------------------
# The potential


@dataclass
class ExprPotential(Potential):
    """A Potential from a parsed formula: exact gradient and Hessian by symbolic derivatives."""

    expr: Expr = field(default_factory=lambda: const(0.0), repr=False, compare=False)
    grad_exprs: tuple[Expr, Expr] = field(init=False, repr=False, compare=False)
    hessian_exprs: tuple[Expr, Expr, Expr] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gx = differentiate(self.expr, "x")
        gy = differentiate(self.expr, "y")
        self.grad_exprs = (gx, gy)
        self.hessian_exprs = (differentiate(gx, "x"), differentiate(gx, "y"), differentiate(gy, "y"))
        self._value_prog = Program([self.expr])
        self._grad_prog = Program(self.grad_exprs)
        self._hess_prog = Program(self.hessian_exprs)
        self._all_prog = Program([self.expr, *self.grad_exprs, *self.hessian_exprs])
        self._expr_structure = structure(self.expr)

    def _key_parts(self) -> tuple:
        """Potential's key parts (name, formula text, view, minima, flags) and the parsed tree
        itself, so that two different formulas never share a cache key."""
        return super()._key_parts() + (("expr", self._expr_structure),)

    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._value_prog(x, y)[0]

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._grad_prog(x, y)  # type: ignore[return-value]

    def _hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._hess_prog(x, y)  # type: ignore[return-value]

    def value_grad_hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """(V, Vx, Vy, Vxx, Vxy, Vyy) at x, y in one pass sharing every subexpression."""
        return self._all_prog(x, y)


def _check_view(view) -> View:
    try:
        v = tuple(float(t) for t in view)
    except (TypeError, ValueError):
        raise ValueError(f"view must be four numbers (xmin, xmax, ymin, ymax), got {view!r}") from None
    if len(v) != 4 or not all(math.isfinite(t) for t in v) or not (v[0] < v[1] and v[2] < v[3]):
        raise ValueError(f"view must be four finite numbers with xmin < xmax, ymin < ymax, got {view!r}")
    return v  # type: ignore[return-value]


def _wants_log_scale(pot: ExprPotential, view: View, n: int = 64) -> bool:
    """True when max(V - Vmin) over an n x n grid is more than LOG_SCALE_DECADES decades above
    the 5th percentile of V - Vmin (a steep rim around a flat floor: Rosenbrock, quartics)."""
    v = pot.value_grid(np.linspace(view[0], view[1], n), np.linspace(view[2], view[3], n))
    v = v[np.isfinite(v)]
    if v.size < 2:
        return False
    d = v - v.min()
    pos = d[d > 0]
    if pos.size == 0:
        return False
    with np.errstate(all="ignore"):
        spread = np.log10(pos.max() / np.percentile(pos, 5))
    return bool(np.isfinite(spread) and spread > LOG_SCALE_DECADES)


def find_minima(pot: ExprPotential, view: View, budget_s: float = MINIMA_BUDGET_S) -> tuple[np.ndarray, np.ndarray]:
    """Local minima inside view by a vectorized Levenberg-Marquardt (damped Newton) search from
    a grid of starts. Keeps points with |grad| < MINIMA_GRAD_TOL and a positive-definite Hessian,
    deduplicated, lowest first, at most MINIMA_MAX. Returns (points [k, 2], values [k])."""
    t0 = time.perf_counter()
    xmin, xmax, ymin, ymax = view
    size = max(xmax - xmin, ymax - ymin)
    fr = (np.arange(MINIMA_GRID) + 0.5) / MINIMA_GRID
    px, py = np.meshgrid(xmin + fr * (xmax - xmin), ymin + fr * (ymax - ymin), indexing="ij")
    px, py = px.ravel(), py.ravel()
    mu = np.full(px.shape, 1.0)
    with np.errstate(all="ignore"):
        v, gx, gy, hxx, hxy, hyy = pot.value_grad_hessian(px, py)
        for _ in range(MINIMA_ITERS):
            if time.perf_counter() - t0 > budget_s:
                break
            # shift the Hessian to positive definite, plus damping mu
            half_tr = 0.5 * (hxx + hyy)
            lam_min = half_tr - np.sqrt((0.5 * (hxx - hyy)) ** 2 + hxy ** 2)
            shift = np.maximum(0.0, -lam_min) + mu * (1.0 + np.abs(half_tr))
            a, d, b = hxx + shift, hyy + shift, hxy
            det = a * d - b * b
            sx = -(d * gx - b * gy) / det
            sy = -(a * gy - b * gx) / det
            norm = np.hypot(sx, sy)
            cap = 0.25 * size
            scale = np.where(norm > cap, cap / norm, 1.0)
            nx, ny = px + sx * scale, py + sy * scale
            nv, ngx, ngy, nhxx, nhxy, nhyy = pot.value_grad_hessian(nx, ny)
            ok = np.isfinite(nv) & np.isfinite(ngx) & np.isfinite(ngy) & (nv <= v + 1e-12 * (1.0 + np.abs(v)))
            px, py = np.where(ok, nx, px), np.where(ok, ny, py)
            v, gx, gy = np.where(ok, nv, v), np.where(ok, ngx, gx), np.where(ok, ngy, gy)
            hxx, hxy, hyy = np.where(ok, nhxx, hxx), np.where(ok, nhxy, hxy), np.where(ok, nhyy, hyy)
            mu = np.where(ok, mu * 0.2, np.minimum(mu * 5.0, 1e12))
            mu = np.where(mu < 1e-12, 0.0, mu)
            if np.all(np.hypot(gx, gy) < MINIMA_GRAD_TOL * 1e-2):
                break
        good = (np.isfinite(v) & (np.hypot(gx, gy) < MINIMA_GRAD_TOL) & (hxx > 0) & (hxx * hyy - hxy * hxy > 0)
                & (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax))
    idx = np.flatnonzero(good)
    idx = idx[np.argsort(v[idx], kind="stable")]
    kept: list[int] = []
    tol = 1e-5 * size
    for i in idx:
        if all(math.hypot(px[i] - px[j], py[i] - py[j]) > tol for j in kept):
            kept.append(int(i))
            if len(kept) == MINIMA_MAX:
                break
    pts = np.stack([px[kept], py[kept]], axis=1) if kept else np.zeros((0, 2))
    return pts, np.asarray(v[kept], dtype=np.float64)


_PARTIAL_OPS = ("log", "sqrt", "tan", "div")  # may give nan or inf at a finite point


def is_partial(expr: Expr) -> bool:
    """Whether V may be nan or inf at some finite (x, y): a log, sqrt, tan or division, a power
    other than a whole non-negative constant, or a constant that is not finite."""
    for n in postorder([expr]):
        if n.op in _PARTIAL_OPS or (n.op == "const" and not math.isfinite(n.value)):
            return True
        if n.op == "pow":
            b = n.args[1]
            if not (b.op == "const" and b.value >= 0 and float(b.value).is_integer()):
                return True
    return False


def _check_finite_somewhere(pot: ExprPotential, view: View, n: int = 64) -> None:
    """FormulaError when V is nan or inf at every point of an n x n grid over the view."""
    v = pot.value_grid(np.linspace(view[0], view[1], n), np.linspace(view[2], view[3], n))
    if not np.isfinite(v).any():
        x0, x1, y0, y1 = (fmt_number(t) for t in view)
        raise FormulaError(f"V is not a finite number anywhere in the view x {x0}..{x1}, y {y0}..{y1}",
                           hint="e.g. 0/0, 1e999, sqrt(-1) or log of a negative number")


def expression_potential(text: str, view: Sequence[float] | None = None, *, find_minimum: bool = True) -> ExprPotential:
    """A Potential for a user's formula in x and y. Raises FormulaError for a bad formula and
    ValueError for a bad view. Minima are found numerically unless find_minimum is False."""
    expr = parse_formula(text)
    v = DEFAULT_VIEW if view is None else _check_view(view)
    pot = ExprPotential(name="expr", formula=normalize_formula(text), view=v, expr=expr)
    _check_finite_somewhere(pot, v)
    pot.partial = is_partial(expr)
    pot.log_scale = _wants_log_scale(pot, v)
    if find_minimum:
        pot.minima, pot.minimum_values = find_minima(pot, v)
    return pot
