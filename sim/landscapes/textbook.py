"""The textbook landscapes: bowl, ravine, saddle, Booth, Matyas, Rosenbrock, Himmelblau, Beale, Goldstein-Price."""
from __future__ import annotations

import numpy as np

from sim.landscapes.builtin_base import BuiltinPotential


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
