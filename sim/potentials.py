"""The built-in landscapes: exact, vectorized V, grad V and Hessian, with views and known minima.

Formulas follow the Virtual Library of Simulation Experiments (Surjanovic & Bingham,
https://www.sfu.ca/~ssurjano/optimization.html) where the function appears there.
Positions are float64 arrays of shape [n, 2] in world units; see `sim.potential_base`.

`_grad` is the hot path (called once per tick for every particle), so the gradients below
share subexpressions and work in place where that saves a temporary. Every `_value`,
`_grad` and `_hessian` also accepts 2D grids (used by `Potential.value_grid`).
Polynomials are evaluated in Horner form so that far-away points give inf, not inf - inf.

The listed minima are refined at import time with a few Newton steps on the exact gradient
and Hessian, so they are stationary to machine precision even where the literature gives
only four or six digits; `minimum_values` is V at the refined points.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.potential_base import Potential

NEWTON_STEPS = 30  # at most this many Newton steps polish the listed minima at import time
CHUNK = 8192  # rows per block in value/grad: keeps the temporaries in L2 cache (~2x faster at 1e6)

# gaussian_wells: V = WELL_STIFFNESS (x² + y²) - sum_i depth_i exp(-|p - c_i|² / (2 width_i²))
WELL_STIFFNESS = 0.05
WELL_CENTERS = ((-1.8, -1.0), (1.6, 1.2), (2.2, -1.4), (-1.0, 1.6))  # world units
WELL_DEPTHS = (3.0, 2.0, 1.5, 1.2)
WELL_WIDTHS = (0.9, 1.0, 0.6, 0.5)  # standard deviations, world units

TWO_PI = 2.0 * np.pi


class BuiltinPotential(Potential):
    """A `Potential` whose `value` and `grad` run block by block over the rows.

    Same contract as `Potential.value` / `Potential.grad`; evaluating CHUNK rows at a time
    keeps every temporary of `_grad` in cache, which halves the time for large n.
    """

    def value(self, pos: np.ndarray) -> np.ndarray:
        """V at each position: pos [n, 2] -> [n]."""
        pos = np.asarray(pos, dtype=np.float64)
        out = np.empty(len(pos))
        with np.errstate(all="ignore"):
            for i in range(0, len(pos), CHUNK):
                block = pos[i : i + CHUNK]
                out[i : i + CHUNK] = self._value(block[:, 0], block[:, 1])
        return out

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Exact gradient: pos [n, 2] -> [n, 2] (written into `out` when given)."""
        pos = np.asarray(pos, dtype=np.float64)
        if out is None:
            out = np.empty_like(pos)
        with np.errstate(all="ignore"):
            for i in range(0, len(pos), CHUNK):
                block = pos[i : i + CHUNK]
                gx, gy = self._grad(block[:, 0], block[:, 1])
                out[i : i + CHUNK, 0] = gx  # pos may alias out: gx, gy never alias pos
                out[i : i + CHUNK, 1] = gy
        return out


# ----------------------------------------------------------------------------------------
# Simple quadratics
# ----------------------------------------------------------------------------------------
class Bowl(BuiltinPotential):
    """½(x² + y²): isotropic quadratic, minimum 0 at the origin."""

    def _value(self, x, y):
        return 0.5 * (x * x + y * y)

    def _grad(self, x, y):
        return x.copy(), y.copy()

    def _hessian(self, x, y):
        one = np.ones_like(x)
        return one, np.zeros_like(x), one


class Ravine(BuiltinPotential):
    """½(x² + 25y²): condition number 25, the classic case for momentum."""

    def _value(self, x, y):
        return 0.5 * (x * x + 25.0 * y * y)

    def _grad(self, x, y):
        return x.copy(), 25.0 * y

    def _hessian(self, x, y):
        return np.ones_like(x), np.zeros_like(x), np.full_like(y, 25.0)


class Saddle(BuiltinPotential):
    """x² − y²: unbounded below; a single saddle at the origin and no minima."""

    def _value(self, x, y):
        return (x - y) * (x + y)  # exact at x = ±y, no inf - inf far away

    def _grad(self, x, y):
        return 2.0 * x, -2.0 * y

    def _hessian(self, x, y):
        return np.full_like(x, 2.0), np.zeros_like(x), np.full_like(y, -2.0)


class Booth(BuiltinPotential):
    """(x + 2y − 7)² + (2x + y − 5)²: minimum 0 at (1, 3)."""

    def _value(self, x, y):
        a = x + 2.0 * y - 7.0
        b = 2.0 * x + y - 5.0
        return a * a + b * b

    def _grad(self, x, y):
        # gx = 2a + 4b = 10x + 8y - 34, gy = 4a + 2b = 8x + 10y - 38
        gx = 10.0 * x + 8.0 * y - 34.0
        gy = 8.0 * x + 10.0 * y - 38.0
        return gx, gy

    def _hessian(self, x, y):
        return np.full_like(x, 10.0), np.full_like(x, 8.0), np.full_like(y, 10.0)


class Matyas(BuiltinPotential):
    """0.26(x² + y²) − 0.48xy: a flat, tilted valley; minimum 0 at the origin."""

    def _value(self, x, y):
        return 0.26 * (x * x + y * y) - 0.48 * x * y

    def _grad(self, x, y):
        return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x

    def _hessian(self, x, y):
        return np.full_like(x, 0.52), np.full_like(x, -0.48), np.full_like(y, 0.52)


# ----------------------------------------------------------------------------------------
# Classic test functions
# ----------------------------------------------------------------------------------------
class Rosenbrock(BuiltinPotential):
    """(1 − x)² + 100(y − x²)²: a curved, nearly flat valley; minimum 0 at (1, 1)."""

    def _value(self, x, y):
        t = y - x * x
        u = 1.0 - x
        return u * u + 100.0 * t * t

    def _grad(self, x, y):
        t = x * x
        np.subtract(y, t, out=t)  # t = y - x²
        gy = 200.0 * t
        gx = t * -400.0  # gx = x (2 - 400 t) - 2 = -2(1 - x) - 400 x t
        gx += 2.0
        gx *= x
        gx -= 2.0
        return gx, gy

    def _hessian(self, x, y):
        return 1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x, np.full_like(y, 200.0)


class Himmelblau(BuiltinPotential):
    """(x² + y − 11)² + (x + y² − 7)²: four global minima (value 0), a maximum, four saddles."""

    def _value(self, x, y):
        a = x * x + y - 11.0
        b = y * y + x - 7.0
        return a * a + b * b

    def _grad(self, x, y):
        a = x * x + y - 11.0
        b = y * y + x - 7.0
        gx = 4.0 * x * a + 2.0 * b
        gy = 4.0 * y * b + 2.0 * a
        return gx, gy

    def _hessian(self, x, y):
        hxx = 12.0 * x * x + 4.0 * y - 42.0  # 4a + 8x² + 2
        hyy = 12.0 * y * y + 4.0 * x - 26.0  # 4b + 8y² + 2
        return hxx, 4.0 * (x + y), hyy


class Rastrigin(BuiltinPotential):
    """20 + x² + y² − 10(cos 2πx + cos 2πy): a bowl covered in a lattice of local minima."""

    def _value(self, x, y):
        return 20.0 + x * x + y * y - 10.0 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y))

    def _grad(self, x, y):
        gx = np.sin(TWO_PI * x)
        gx *= 20.0 * np.pi
        gx += 2.0 * x
        gy = np.sin(TWO_PI * y)
        gy *= 20.0 * np.pi
        gy += 2.0 * y
        return gx, gy

    def _hessian(self, x, y):
        k = 40.0 * np.pi * np.pi
        return 2.0 + k * np.cos(TWO_PI * x), np.zeros_like(x), 2.0 + k * np.cos(TWO_PI * y)


class Beale(BuiltinPotential):
    """(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: minimum 0 at (3, 0.5).

    Written with u_k = c_k − x + x yᵏ and the products x yᵏ built as ((x y) y) y, so x = 0
    stays exact (no 0 · inf) far out along the y axis.
    """

    def _value(self, x, y):
        xy = x * y
        xy2 = xy * y
        u1 = 1.5 - x + xy
        u2 = 2.25 - x + xy2
        u3 = 2.625 - x + xy2 * y
        return u1 * u1 + u2 * u2 + u3 * u3

    def _grad(self, x, y):
        y2 = y * y
        xy = x * y
        xy2 = xy * y
        u1 = 1.5 - x + xy
        u2 = 2.25 - x + xy2
        u3 = 2.625 - x + xy2 * y
        gx = u1 * (y - 1.0) + u2 * (y2 - 1.0) + u3 * (y2 * y - 1.0)  # du_k/dx = yᵏ − 1
        gx *= 2.0
        gy = x * u1 + 2.0 * xy * u2 + 3.0 * xy2 * u3  # du_k/dy = k x yᵏ⁻¹
        gy *= 2.0
        return gx, gy

    def _hessian(self, x, y):
        y2 = y * y
        d1 = y - 1.0
        d2 = y2 - 1.0
        d3 = y2 * y - 1.0
        u1 = 1.5 + x * d1
        u2 = 2.25 + x * d2
        u3 = 2.625 + x * d3
        hxx = 2.0 * (d1 * d1 + d2 * d2 + d3 * d3)
        hxy = 2.0 * (u1 + 2.0 * y * u2 + 3.0 * y2 * u3 + x * (d1 + 2.0 * y * d2 + 3.0 * y2 * d3))
        hyy = 2.0 * x * (x * (1.0 + 4.0 * y2 + 9.0 * y2 * y2) + 2.0 * u2 + 6.0 * y * u3)
        return hxx, hxy, hyy


class GoldsteinPrice(BuiltinPotential):
    """[1 + (x+y+1)²(19 − 14x + 3x² − 14y + 6xy + 3y²)] · [30 + (2x−3y)²(18 − 32x + 12x²
    + 48y − 36xy + 27y²)]: global minimum 3 at (0, −1), local minima 30, 84, 840.

    The two factors depend on s = x + y and c = 2x − 3y only:
    P(s) = 1 + (s+1)²(3s² − 14s + 19) and Q(c) = 30 + c²(3c² − 16c + 18), so V = P(s) Q(c).
    P has minima at s = −1, 2 and Q at c = 0, 3, which gives the four minima exactly.
    """

    @staticmethod
    def _pq(x, y, order: int):
        s = x + y
        c = 2.0 * x - 3.0 * y
        a = s + 1.0
        a2 = a * a
        b = (3.0 * s - 14.0) * s + 19.0
        d = (3.0 * c - 16.0) * c + 18.0
        c2 = c * c
        p = 1.0 + a2 * b
        q = 30.0 + c2 * d
        if order == 0:
            return p, q
        bs = 6.0 * s - 14.0
        dc = 6.0 * c - 16.0
        p1 = a * (2.0 * b + a * bs)  # dP/ds
        q1 = c * (2.0 * d + c * dc)  # dQ/dc
        if order == 1:
            return p, q, p1, q1
        p2 = 2.0 * b + 4.0 * a * bs + 6.0 * a2  # d²P/ds²
        q2 = 2.0 * d + 4.0 * c * dc + 6.0 * c2  # d²Q/dc²
        return p, q, p1, q1, p2, q2

    def _value(self, x, y):
        p, q = self._pq(x, y, 0)
        return p * q

    def _grad(self, x, y):
        p, q, p1, q1 = self._pq(x, y, 1)
        p1 *= q  # P' Q
        q1 *= p  # P Q'
        return p1 + 2.0 * q1, p1 - 3.0 * q1  # ds/d(x, y) = (1, 1), dc/d(x, y) = (2, −3)

    def _hessian(self, x, y):
        p, q, p1, q1, p2, q2 = self._pq(x, y, 2)
        a = p2 * q  # P'' Q
        b = p1 * q1  # P' Q'
        c = p * q2  # P Q''
        return a + 4.0 * b + 4.0 * c, a - b - 6.0 * c, a - 6.0 * b + 9.0 * c


class SixHumpCamel(BuiltinPotential):
    """(4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y²: two global minima −1.0316, four local."""

    def _value(self, x, y):
        x2 = x * x
        y2 = y * y
        return x2 * (4.0 + x2 * (x2 / 3.0 - 2.1)) + x * y + y2 * (4.0 * y2 - 4.0)

    def _grad(self, x, y):
        x2 = x * x
        gx = x * (8.0 + x2 * (2.0 * x2 - 8.4)) + y
        gy = y * (16.0 * y * y - 8.0) + x
        return gx, gy

    def _hessian(self, x, y):
        x2 = x * x
        return 8.0 + x2 * (10.0 * x2 - 25.2), np.ones_like(x), 48.0 * y * y - 8.0


class ThreeHumpCamel(BuiltinPotential):
    """2x² − 1.05x⁴ + x⁶/6 + xy + y²: global minimum 0 at the origin, two local minima."""

    def _value(self, x, y):
        x2 = x * x
        return x2 * (2.0 + x2 * (x2 / 6.0 - 1.05)) + x * y + y * y

    def _grad(self, x, y):
        x2 = x * x
        gx = x * (4.0 + x2 * (x2 - 4.2)) + y
        gy = x + 2.0 * y
        return gx, gy

    def _hessian(self, x, y):
        x2 = x * x
        return 4.0 + x2 * (5.0 * x2 - 12.6), np.ones_like(x), np.full_like(y, 2.0)


class StyblinskiTang(BuiltinPotential):
    """½(x⁴ − 16x² + 5x + y⁴ − 16y² + 5y): four minima at x, y ∈ {−2.903534, 2.746803}."""

    def _value(self, x, y):
        x2 = x * x
        y2 = y * y
        return 0.5 * (x2 * (x2 - 16.0) + 5.0 * x + y2 * (y2 - 16.0) + 5.0 * y)

    def _grad(self, x, y):
        gx = x * (2.0 * x * x - 16.0) + 2.5
        gy = y * (2.0 * y * y - 16.0) + 2.5
        return gx, gy

    def _hessian(self, x, y):
        return 6.0 * x * x - 16.0, np.zeros_like(x), 6.0 * y * y - 16.0


class DoubleWell(BuiltinPotential):
    """(x² − 1)² + y²: two minima (±1, 0) of value 0 and a saddle at the origin."""

    def _value(self, x, y):
        t = x * x - 1.0
        return t * t + y * y

    def _grad(self, x, y):
        t = x * x - 1.0
        t *= 4.0 * x
        return t, 2.0 * y

    def _hessian(self, x, y):
        return 12.0 * x * x - 4.0, np.zeros_like(x), np.full_like(y, 2.0)


class MexicanHat(BuiltinPotential):
    """(x² + y² − 1)²: every point of the unit circle is a minimum (value 0); a maximum at 0.

    The listed minima are four sample points of that ring, (±1, 0) and (0, ±1); the Hessian
    there is positive semidefinite with a zero eigenvalue along the ring.
    """

    def _value(self, x, y):
        t = x * x + y * y - 1.0
        return t * t

    def _grad(self, x, y):
        t = x * x + y * y - 1.0
        t *= 4.0
        return t * x, t * y

    def _hessian(self, x, y):
        t4 = 4.0 * (x * x + y * y - 1.0)
        return t4 + 8.0 * x * x, 8.0 * x * y, t4 + 8.0 * y * y


@dataclass
class GaussianWells(BuiltinPotential):
    """k(x² + y²) − Σᵢ dᵢ exp(−|p − cᵢ|² / (2wᵢ²)): a mild bowl with Gaussian wells cut in.

    With the module defaults: four wells of different depth and width, so one global
    minimum, three local minima, and saddles on the ridges between them.
    """

    stiffness: float = WELL_STIFFNESS
    centers: np.ndarray = field(default_factory=lambda: np.array(WELL_CENTERS, dtype=float))  # [m, 2]
    depths: np.ndarray = field(default_factory=lambda: np.array(WELL_DEPTHS, dtype=float))  # [m]
    widths: np.ndarray = field(default_factory=lambda: np.array(WELL_WIDTHS, dtype=float))  # [m]

    def _wells(self, x, y):
        """Per well: (dx, dy, g, inv_w2) with dx = x − cx, dy = y − cy, the well's Gaussian
        g = exp(−(dx² + dy²)/(2w²)) (arrays like x) and 1/w² (a Python float)."""
        for (cx, cy), w in zip(self.centers, self.widths):
            half_inv_w2 = 0.5 / (float(w) * float(w))
            dx = x - float(cx)
            dy = y - float(cy)
            e = dx * dx
            e += dy * dy
            e *= -half_inv_w2
            np.exp(e, out=e)
            yield dx, dy, e, 2.0 * half_inv_w2

    def _value(self, x, y):
        v = self.stiffness * (x * x + y * y)
        for (_, _, e, _), d in zip(self._wells(x, y), self.depths):
            e *= float(d)
            v -= e
        return v

    def _grad(self, x, y):
        k2 = 2.0 * self.stiffness
        gx = k2 * x
        gy = k2 * y
        for (dx, dy, e, inv_w2), d in zip(self._wells(x, y), self.depths):
            e *= float(d) * inv_w2  # d e / w²
            dx *= e
            dy *= e
            gx += dx
            gy += dy
        return gx, gy

    def _hessian(self, x, y):
        k2 = 2.0 * self.stiffness
        hxx = np.full_like(x, k2)
        hxy = np.zeros_like(x)
        hyy = np.full_like(y, k2)
        for (dx, dy, e, inv_w2), d in zip(self._wells(x, y), self.depths):
            e *= float(d) * inv_w2
            hxx += e * (1.0 - inv_w2 * dx * dx)
            hxy -= e * inv_w2 * dx * dy
            hyy += e * (1.0 - inv_w2 * dy * dy)
        return hxx, hxy, hyy


# ----------------------------------------------------------------------------------------
# Minima and the registry
# ----------------------------------------------------------------------------------------
def refine_stationary(pot: Potential, points: np.ndarray, steps: int = NEWTON_STEPS) -> np.ndarray:
    """Polish approximate stationary points by Newton's method: points [k, 2] -> [k, 2].

    A point whose Hessian is singular (e.g. on the mexican_hat ring) is left where it is.
    """
    p = np.array(points, dtype=np.float64).reshape(-1, 2)
    for _ in range(steps):
        g = pot.grad(p)
        h = pot.hessian(p)
        det = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0]
        ok = np.abs(det) > 1e-12 * (np.abs(h).max(axis=(1, 2)) ** 2 + 1e-300)
        safe = np.where(ok, det, 1.0)
        sx = (h[:, 1, 1] * g[:, 0] - h[:, 0, 1] * g[:, 1]) / safe
        sy = (h[:, 0, 0] * g[:, 1] - h[:, 1, 0] * g[:, 0]) / safe
        step = np.column_stack([np.where(ok, sx, 0.0), np.where(ok, sy, 0.0)])
        p -= step
        if np.all(np.abs(step) <= 1e-15 * (1.0 + np.abs(p))):
            break
    return p


def _make(pot: Potential, approx_minima=()) -> Potential:
    """Refine `approx_minima` on `pot`, store them and their values (read-only), return `pot`."""
    pts = np.asarray(approx_minima, dtype=np.float64).reshape(-1, 2)
    minima = refine_stationary(pot, pts) if len(pts) else pts
    values = pot.value(minima)
    minima.flags.writeable = False
    values.flags.writeable = False
    pot.minima = minima
    pot.minimum_values = values
    return pot


def _gaussian_wells() -> GaussianWells:
    pot = GaussianWells(
        name="gaussian_wells",
        formula="0.05(x²+y²) − Σ dᵢ·exp(−|p−cᵢ|²/2wᵢ²)",
        view=(-4.0, 4.0, -3.0, 3.0),
    )
    return _make(pot, pot.centers)  # Newton from each well's center lands on its minimum


_ST_A, _ST_B = -2.903534, 2.746803  # styblinski_tang: the 1D minima of ½(t⁴ − 16t² + 5t)


def _build() -> dict[str, Potential]:
    """Every built-in, in number-key order.

    Views are the published search domains or a tighter window on the interesting region.
    log_scale is on where more than half of the default view lies in the lowest 10% of the
    value range there (linear shading would paint it one colour); note that some of these
    (six_hump_camel) go negative, so the shading must be log of V minus its minimum.
    """
    p = [*_textbook(), *_many_minima(), _gaussian_wells(), *_data_landscapes()]
    return {pot.name: pot for pot in p}


def _textbook() -> list[Potential]:
    """The first eight built-ins: bowls, valleys and the classic test functions."""
    return [
        _make(Bowl("bowl", "½(x² + y²)", (-4.0, 4.0, -3.0, 3.0)), [(0.0, 0.0)]),
        _make(Ravine("ravine", "½(x² + 25y²)", (-4.0, 4.0, -3.0, 3.0)), [(0.0, 0.0)]),
        _make(
            Rosenbrock("rosenbrock", "(1−x)² + 100(y−x²)²", (-2.0, 2.0, -1.0, 3.0), log_scale=True),
            [(1.0, 1.0)],
        ),
        _make(
            Himmelblau("himmelblau", "(x²+y−11)² + (x+y²−7)²", (-5.0, 5.0, -5.0, 5.0)),
            [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        ),
        _make(
            Rastrigin("rastrigin", "20 + x² + y² − 10(cos 2πx + cos 2πy)", (-5.12, 5.12, -5.12, 5.12)),
            [(0.0, 0.0)],
        ),
        _make(
            Beale(
                "beale",
                "(1.5−x+xy)² + (2.25−x+xy²)² + (2.625−x+xy³)²",
                (-4.5, 4.5, -4.5, 4.5),
                log_scale=True,
            ),
            [(3.0, 0.5)],
        ),
        _make(
            Booth("booth", "(x+2y−7)² + (2x+y−5)²", (-10.0, 10.0, -10.0, 10.0), log_scale=True),
            [(1.0, 3.0)],
        ),
        _make(
            Matyas("matyas", "0.26(x²+y²) − 0.48xy", (-10.0, 10.0, -10.0, 10.0), log_scale=True),
            [(0.0, 0.0)],
        ),
    ]


def _many_minima() -> list[Potential]:
    """The built-ins with several minima (or none: the saddle), in number-key order."""
    return [
        _make(
            GoldsteinPrice(
                "goldstein_price",
                "[1+(x+y+1)²(19−14x+3x²−14y+6xy+3y²)]"
                "·[30+(2x−3y)²(18−32x+12x²+48y−36xy+27y²)]",
                (-2.0, 2.0, -2.0, 2.0),
                log_scale=True,
            ),
            [(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)],
        ),
        _make(
            SixHumpCamel(
                "six_hump_camel",
                "(4−2.1x²+x⁴/3)x² + xy + (−4+4y²)y²",
                (-3.0, 3.0, -2.0, 2.0),
                log_scale=True,
            ),
            [(0.0898, -0.7126), (-0.0898, 0.7126), (1.7036, -0.7961), (-1.7036, 0.7961),
             (1.6071, 0.5687), (-1.6071, -0.5687)],  # 2 global, 4 local (published to 4 digits)
        ),
        _make(
            ThreeHumpCamel(
                "three_hump_camel",
                "2x² − 1.05x⁴ + x⁶/6 + xy + y²",
                (-3.0, 3.0, -2.25, 2.25),
                log_scale=True,
            ),
            [(0.0, 0.0), (1.7476, -0.8738), (-1.7476, 0.8738)],
        ),
        _make(
            StyblinskiTang(
                "styblinski_tang", "½(x⁴−16x²+5x + y⁴−16y²+5y)", (-5.0, 5.0, -5.0, 5.0)
            ),
            [(_ST_A, _ST_A), (_ST_A, _ST_B), (_ST_B, _ST_A), (_ST_B, _ST_B)],
        ),
        _make(
            DoubleWell("double_well", "(x²−1)² + y²", (-2.0, 2.0, -1.5, 1.5)),
            [(-1.0, 0.0), (1.0, 0.0)],
        ),
        _make(
            MexicanHat("mexican_hat", "(x²+y²−1)²", (-2.0, 2.0, -1.5, 1.5), log_scale=True),
            [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)],
        ),
        _make(Saddle("saddle", "x² − y²", (-2.0, 2.0, -1.5, 1.5), bounded_below=False)),
    ]


def _data_landscapes() -> list[Potential]:
    """linreg, logreg and mlp on their built-in data (the network trains on first use)."""
    from sim.data import DATA_LANDSCAPES, make_landscape
    return [make_landscape(name) for name in DATA_LANDSCAPES]


POTENTIALS: dict[str, Potential] = _build()  # insertion order = number keys 1..9, 0


def get_potential(name: str) -> Potential:
    """The built-in potential called `name` (the shared registry instance).

    Raises ValueError naming every choice when `name` is unknown.
    """
    try:
        return POTENTIALS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown potential {name!r}; choose one of: {', '.join(POTENTIALS)}") from None
