"""Landscapes with many minima: Rastrigin, the camels, Styblinski-Tang, double well, Mexican hat, Gaussian wells."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.landscapes.builtin_base import BuiltinPotential, TWO_PI, make_builtin


# gaussian_wells: V = WELL_STIFFNESS (x² + y²) - sum_i depth_i exp(-|p - c_i|² / (2 width_i²))
WELL_STIFFNESS = 0.05
WELL_CENTERS = ((-1.8, -1.0), (1.6, 1.2), (2.2, -1.4), (-1.0, 1.6))  # world units
WELL_DEPTHS = (3.0, 2.0, 1.5, 1.2)
WELL_WIDTHS = (0.9, 1.0, 0.6, 0.5)  # standard deviations, world units


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


def gaussian_wells() -> GaussianWells:
    pot = GaussianWells(
        name="gaussian_wells",
        formula="0.05(x²+y²) − Σ dᵢ·exp(−|p−cᵢ|²/2wᵢ²)",
        view=(-4.0, 4.0, -3.0, 3.0),
    )
    return make_builtin(pot, pot.centers)  # Newton from each well's center lands on its minimum
