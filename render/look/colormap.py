"""Colormaps as 256-entry uint8 lookup tables (no matplotlib), and the log scale that the map,
its colourbar and the HUD plot share.

VIRIDIS uses the degree-6 polynomial fit of matplotlib's viridis (Matt Zucker's fit, max
error about 0.01 per channel), evaluated once at import.
"""
from __future__ import annotations

import numpy as np

# c0 + t (c1 + t (c2 + ...)), one column per channel (r, g, b)
_VIRIDIS_COEFFS = np.array([
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
])


def polynomial_lut(coeffs: np.ndarray, n: int = 256) -> np.ndarray:
    """Evaluate a per-channel polynomial at n points of [0, 1]: -> uint8 [n, 3]."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    acc = np.zeros((n, 3))
    for c in coeffs[::-1]:
        acc = acc * t + c
    return np.clip(np.rint(acc * 255.0), 0, 255).astype(np.uint8)


VIRIDIS: np.ndarray = polynomial_lut(_VIRIDIS_COEFFS)  # [256, 3] uint8, dark purple -> yellow


def grey(rgb: np.ndarray) -> np.ndarray:
    """The map as a light grey relief (uint8 [..., 3] -> uint8 [..., 3]): its luminance,
    squeezed into 70..225 so that coloured shading on top stays readable. Viridis's luminance
    rises with V, so the grey keeps the order of the values (and the colourbar, greyed the
    same way, still reads them)."""
    rgb = np.asarray(rgb)
    lum = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    g = (70.0 + lum * (155.0 / 255.0)).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


def apply(lut: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Colours for values s in [0, 1] (any shape; NaN -> 0): -> uint8 [..., 3]."""
    idx = np.nan_to_num(s, nan=0.0) * (len(lut) - 1) + 0.5
    return lut[np.clip(idx, 0, len(lut) - 1).astype(np.intp)]


def log_scale(v, base: float = 0.0, floor: float = 0.0):
    """The log scale of every log-shaded picture: log10(max(v - base, 0) + floor), elementwise
    (arrays or scalars; NaN stays NaN). The map uses base = its lowest V and a small positive
    floor; the plot of positive values uses the defaults, log10(v)."""
    with np.errstate(all="ignore"):
        return np.log10(np.maximum(np.subtract(v, base), 0.0) + floor)


def log_scale_inverse(u, base: float = 0.0, floor: float = 0.0):
    """The value whose `log_scale` is u: base + 10^u - floor."""
    return base + np.power(10.0, u) - floor
