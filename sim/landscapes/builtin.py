"""The analytic built-in landscapes by name (ANALYTIC, in number-key order); the catalog of
every built-in, those made from data included, is sim/data/catalog.py."""
from __future__ import annotations

from sim.landscapes.base import Potential
from sim.landscapes.builtin_base import make_builtin
from sim.landscapes.many_minima import DoubleWell, MexicanHat, Rastrigin, SixHumpCamel, StyblinskiTang, ThreeHumpCamel, gaussian_wells
from sim.landscapes.textbook import Beale, Booth, Bowl, GoldsteinPrice, Himmelblau, Matyas, Ravine, Rosenbrock, Saddle


_ST_A, _ST_B = -2.903534, 2.746803  # styblinski_tang: the 1D minima of ½(t⁴ − 16t² + 5t)


def _build() -> dict[str, Potential]:
    """Every analytic built-in, in number-key order.

    Views are the published search domains or a tighter window on the interesting region.
    log_scale is on where more than half of the default view lies in the lowest 10% of the
    value range there (linear shading would paint it one colour); note that some of these
    (six_hump_camel) go negative, so the shading must be log of V minus its minimum.
    """
    p = [*_textbook(), *_many_minima(), gaussian_wells()]
    return {pot.name: pot for pot in p}


def _textbook() -> list[Potential]:
    """The first eight built-ins: bowls, valleys and the classic test functions."""
    return [
        make_builtin(Bowl("bowl", "½(x² + y²)", (-4.0, 4.0, -3.0, 3.0)), [(0.0, 0.0)]),
        make_builtin(Ravine("ravine", "½(x² + 25y²)", (-4.0, 4.0, -3.0, 3.0)), [(0.0, 0.0)]),
        make_builtin(
            Rosenbrock("rosenbrock", "(1−x)² + 100(y−x²)²", (-2.0, 2.0, -1.0, 3.0), log_scale=True),
            [(1.0, 1.0)],
        ),
        make_builtin(
            Himmelblau("himmelblau", "(x²+y−11)² + (x+y²−7)²", (-5.0, 5.0, -5.0, 5.0)),
            [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        ),
        make_builtin(
            Rastrigin("rastrigin", "20 + x² + y² − 10(cos 2πx + cos 2πy)", (-5.12, 5.12, -5.12, 5.12)),
            [(0.0, 0.0)],
        ),
        make_builtin(
            Beale(
                "beale",
                "(1.5−x+xy)² + (2.25−x+xy²)² + (2.625−x+xy³)²",
                (-4.5, 4.5, -4.5, 4.5),
                log_scale=True,
            ),
            [(3.0, 0.5)],
        ),
        make_builtin(
            Booth("booth", "(x+2y−7)² + (2x+y−5)²", (-10.0, 10.0, -10.0, 10.0), log_scale=True),
            [(1.0, 3.0)],
        ),
        make_builtin(
            Matyas("matyas", "0.26(x²+y²) − 0.48xy", (-10.0, 10.0, -10.0, 10.0), log_scale=True),
            [(0.0, 0.0)],
        ),
    ]


def _many_minima() -> list[Potential]:
    """The built-ins with several minima (or none: the saddle), in number-key order."""
    return [
        make_builtin(
            GoldsteinPrice(
                "goldstein_price",
                "[1+(x+y+1)²(19−14x+3x²−14y+6xy+3y²)]"
                "·[30+(2x−3y)²(18−32x+12x²+48y−36xy+27y²)]",
                (-2.0, 2.0, -2.0, 2.0),
                log_scale=True,
            ),
            [(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)],
        ),
        make_builtin(
            SixHumpCamel(
                "six_hump_camel",
                "(4−2.1x²+x⁴/3)x² + xy + (−4+4y²)y²",
                (-3.0, 3.0, -2.0, 2.0),
                log_scale=True,
            ),
            [(0.0898, -0.7126), (-0.0898, 0.7126), (1.7036, -0.7961), (-1.7036, 0.7961),
             (1.6071, 0.5687), (-1.6071, -0.5687)],  # 2 global, 4 local (published to 4 digits)
        ),
        make_builtin(
            ThreeHumpCamel(
                "three_hump_camel",
                "2x² − 1.05x⁴ + x⁶/6 + xy + y²",
                (-3.0, 3.0, -2.25, 2.25),
                log_scale=True,
            ),
            [(0.0, 0.0), (1.7476, -0.8738), (-1.7476, 0.8738)],
        ),
        make_builtin(
            StyblinskiTang(
                "styblinski_tang", "½(x⁴−16x²+5x + y⁴−16y²+5y)", (-5.0, 5.0, -5.0, 5.0)
            ),
            [(_ST_A, _ST_A), (_ST_A, _ST_B), (_ST_B, _ST_A), (_ST_B, _ST_B)],
        ),
        make_builtin(
            DoubleWell("double_well", "(x²−1)² + y²", (-2.0, 2.0, -1.5, 1.5)),
            [(-1.0, 0.0), (1.0, 0.0)],
        ),
        make_builtin(
            MexicanHat("mexican_hat", "(x²+y²−1)²", (-2.0, 2.0, -1.5, 1.5), log_scale=True),
            [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)],
        ),
        make_builtin(Saddle("saddle", "x² − y²", (-2.0, 2.0, -1.5, 1.5), bounded_below=False)),
    ]


ANALYTIC: dict[str, Potential] = _build()  # insertion order = number keys 1..9, 0
