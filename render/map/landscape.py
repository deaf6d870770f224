"""The contour map: a potential shaded on the pixel grid, with iso-lines and minima marks.

Computed with numpy on an indexing="ij" grid (x first, as pygame.surfarray wants) and cached
until the view, the window size or the potential changes; never per frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

from render.look import colormap, widgets
from render.look.theme import MINIMUM_CROSS, MINIMUM_GLOBAL, MINIMUM_LOCAL, MINIMUM_RIM, NAN_RGB
from render.look.view import View

LEVELS = 16  # iso-lines (equally spaced in the shading variable: V, or log10 of V - Vmin)
LINE_WIDTH = 1.1  # pixels
LINE_STRENGTH = 0.42  # how much an iso-line darkens the colour under it
LINE_FADE = (0.22, 0.45)  # levels per pixel where iso-lines start / finish fading out (too dense)
BAND_MIX = 0.22  # 0 = smooth shading, 1 = flat bands between iso-lines (filled contours)
HILLSHADE = 0.16  # strength of the soft relief light from the top left
RELIEF = 3.0  # relief height per contour level, in pixels
LOG_FLOOR_PERCENTILE = 0.5  # log shading: log10(V - Vmin + floor), floor = this percentile of
LOG_FLOOR_MIN = 1e-6  # V - Vmin on screen, at least this fraction of the range (finite bottom)
AUTO_LOG_MEDIAN = 0.15  # switch to log when the median pixel sits this low in the linear range
CLIP_PERCENTILE = 92.0  # linear shading tops out here (steep walls far out do not wash it out)
MINIMUM_RADIUS = 6  # pixels, the ring that marks a known minimum
SHADE_COLUMNS = 64  # columns per block when shading the map (temporaries stay in cache)
DRAFT_FACTOR = 2  # while zooming / panning the map is computed at 1/DRAFT_FACTOR resolution


@dataclass(frozen=True)
class Shading:
    """Maps V to s in [0, 1]: linear between lo and hi, or log10(V - vmin + floor) between lo
    and hi when `log`. The colourbar and the contour levels use the same map."""

    log: bool
    vmin: float
    floor: float
    lo: float
    hi: float

    @classmethod
    def for_values(cls, v: np.ndarray, log: bool | None, known_min: float | None = None) -> "Shading":
        """Fit the shading to the values on screen. log=None decides automatically: log when
        most pixels crowd the bottom of the linear range (steep walls, flat floor)."""
        finite = v[np.isfinite(v)]
        if finite.size == 0:
            return cls(False, 0.0, 0.0, 0.0, 1.0)
        vmin = float(finite.min())
        if known_min is not None and np.isfinite(known_min):
            vmin = min(vmin, known_min)
        if log is None:
            sample = finite[:: max(1, finite.size // 20000)]
            p_hi = float(np.percentile(sample, CLIP_PERCENTILE))
            med = float(np.median(sample))
            log = p_hi > vmin and (med - vmin) < AUTO_LOG_MEDIAN * (p_hi - vmin)
        if log:
            rng = max(float(finite.max()) - vmin, 1e-300)
            sample = finite[:: max(1, finite.size // 100000)]
            floor = float(np.percentile(sample - vmin, LOG_FLOOR_PERCENTILE))
            floor = max(floor, rng * LOG_FLOOR_MIN, 1e-300)
            lo = float(colormap.log_scale(floor))
            hi = float(colormap.log_scale(rng, 0.0, floor))
            return cls(True, vmin, floor, lo, max(hi, lo + 1e-9))
        hi = float(np.percentile(finite, CLIP_PERCENTILE))
        if not hi > vmin:
            hi = vmin + max(abs(vmin), 1.0) * 1e-9 + 1e-300
        return cls(False, vmin, 0.0, vmin, hi)

    def variable(self, v: np.ndarray) -> np.ndarray:
        """The shading variable (V, or log10(V - vmin + floor))."""
        v = np.asarray(v, dtype=np.float64)
        if not self.log:
            return v
        return colormap.log_scale(v, self.vmin, self.floor)

    def __call__(self, v: np.ndarray) -> np.ndarray:
        """V -> s in [0, 1] (NaN stays NaN)."""
        with np.errstate(all="ignore"):
            s = (self.variable(v) - self.lo) / (self.hi - self.lo)
        return np.clip(s, 0.0, 1.0)

    def ticks(self, target: int = 6) -> tuple[np.ndarray, np.ndarray]:
        """Colourbar ticks: (V values, their s positions). Decades of V - vmin when log."""
        from render.look.view import nice_ticks

        if self.log:
            # V = vmin + m 10^k, rounded to 10^k (round labels when vmin is not round);
            # m = 1, and also 2 and 5 when the bar spans fewer than three decades
            k = np.arange(np.floor(self.lo), np.ceil(self.hi) + 1)
            decades = np.floor(self.hi) - np.ceil(self.lo) + 1
            steps = [10.0 ** k] if decades >= 3 else [10.0 ** k, 2 * 10.0 ** k, 5 * 10.0 ** k]
            vals = np.unique(np.concatenate(
                [np.round((self.vmin + st) / (10.0 ** k)) * 10.0 ** k for st in steps]))
            vals = vals[vals > self.vmin]
            pos = self(vals)
            inside = (pos > 0.0) & (pos < 1.0)
            vals, pos = _thin(vals[inside], pos[inside], 0.9 / target)
        else:
            vals = nice_ticks(self.lo, self.hi, target)
            pos = (vals - self.lo) / (self.hi - self.lo)
        keep = (pos >= -1e-9) & (pos <= 1 + 1e-9)
        return vals[keep], np.clip(pos[keep], 0.0, 1.0)


def _thin(vals: np.ndarray, pos: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop ticks closer than `gap` (in s) to the previous kept one, from the bottom up."""
    order = np.argsort(pos)
    kept: list[int] = []
    for i in order:  # a dozen ticks at most
        if not kept or pos[i] - pos[kept[-1]] >= gap:
            kept.append(int(i))
    return vals[kept], pos[kept]


def shade(v: np.ndarray, shading: Shading, levels: int = LEVELS) -> np.ndarray:
    """The map's colours: V on the pixel grid [w, h] -> RGB uint8 [w, h, 3].

    Viridis fill (lightly banded between levels), a soft relief light, and anti-aliased
    iso-lines at `levels` equal steps of s: each pixel's distance to the nearest level
    crossing, in pixels, is |f - round(f)| / |grad f| with f = s * levels.

    The shading variable and its gradient are computed on the whole grid; everything after
    is per pixel, done SHADE_COLUMNS columns at a time so that its temporaries stay in cache.
    """
    finite = np.isfinite(v)
    s = shading(np.where(finite, v, shading.vmin)).astype(np.float32)
    f = s * np.float32(levels)
    # neighbouring differences (central inside, one-sided at the edges)
    # (a grid one pixel wide or tall has no difference along that axis: zero)
    gx = np.gradient(f, axis=0) if f.shape[0] > 1 else np.zeros_like(f)
    gy = np.gradient(f, axis=1) if f.shape[1] > 1 else np.zeros_like(f)
    out = np.empty(v.shape + (3,), dtype=np.uint8)
    for i in range(0, v.shape[0], SHADE_COLUMNS):
        j = i + SHADE_COLUMNS
        out[i:j] = _shade_block(s[i:j], f[i:j], gx[i:j], gy[i:j], levels)
    out[~finite] = NAN_RGB
    return out


def _shade_block(s: np.ndarray, f: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                 levels: int) -> np.ndarray:
    """`shade` for a block of columns: s, f, gx, gy float32 [k, h] -> RGB uint8 [k, h, 3]."""
    slope = np.hypot(gx, gy)  # levels per pixel

    # fill: the LUT index of (1 - BAND_MIX) s + BAND_MIX (band centre)
    band = np.floor(f)
    np.minimum(band, levels - 1, out=band)
    band += 0.5
    band *= BAND_MIX / levels
    t = s * (1.0 - BAND_MIX)
    t += band
    t *= 255.0
    t += 0.5
    idx = t.astype(np.uint8)  # t is in [0.5, 255.5]
    del band, t

    # every per-pixel effect folds into rgb = lut[idx] * A + B (one pass over the colours)
    A = np.ones_like(f)
    if HILLSHADE:
        # height z = RELIEF * f; normal (-dz/dx, -dz/dy, 1); light from the top left, above
        kx, ky = gx * RELIEF, gy * RELIEF
        lit = 0.5 * kx + 0.5 * ky + 0.7
        kx *= kx
        ky *= ky
        kx += ky
        kx += 1.0
        np.sqrt(kx, out=kx)
        kx *= 0.7
        lit /= kx
        lit -= 1.0
        np.clip(lit, -1.0, 1.0, out=lit)
        lit *= HILLSHADE
        A += lit
        del kx, ky, lit
    # iso-lines: coverage a of a line LINE_WIDTH wide at distance |f - round f| / slope
    frac = f - np.rint(f)
    np.abs(frac, out=frac)
    frac /= np.maximum(slope, 1e-12)
    a = (0.5 * LINE_WIDTH + 0.5) - frac
    np.clip(a, 0.0, 1.0, out=a)
    lo_fade, hi_fade = LINE_FADE
    fade = (hi_fade - slope) / (hi_fade - lo_fade)  # too dense: fade out
    np.clip(fade, 0.0, 1.0, out=fade)
    a *= fade
    a *= (f > 0.5) & (f < levels - 0.5)  # no line at the clipped ends of the range
    # dark lines on light colours, light lines on dark ones (luma of the fill decides)
    light = _LINE_LIGHT[idx]  # 1 on the darkest purples
    strength = LINE_STRENGTH * a * (1.0 - 0.35 * light)
    A *= 1.0 - strength
    B = strength * light
    B *= 255.0
    rgb = _LUT_F32[idx]
    rgb *= A[..., None]
    rgb += B[..., None]
    np.clip(rgb, 0, 255, out=rgb)
    return rgb.astype(np.uint8)


_LUT_F32 = colormap.VIRIDIS.astype(np.float32)
_LINE_LIGHT = np.clip((0.32 - (_LUT_F32 @ np.float32([0.30, 0.59, 0.11])) / 255.0) / 0.12,
                      0.0, 1.0).astype(np.float32)  # per LUT entry: how light its lines are


_LOG_DECISIONS: dict[tuple, bool] = {}


def uses_log(potential) -> bool:
    """Log shading: when the potential asks for it, or (bounded below) when on its home view
    (in a 16:10 window) most of the map would crowd the bottom of a linear scale. Decided once per potential, so
    zooming never flips the scale."""
    key = potential.cache_key
    if key not in _LOG_DECISIONS:
        if potential.log_scale:
            log = True
        elif not potential.bounded_below:
            log = False
        else:
            x0, x1, y0, y1 = View.fit(potential.view, (1280, 800)).rect()  # the home view
            v = potential.value_grid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 125))
            log = Shading.for_values(v, None).log
        if len(_LOG_DECISIONS) > 256:
            _LOG_DECISIONS.clear()
        _LOG_DECISIONS[key] = log
    return _LOG_DECISIONS[key]


def keep_log(old, new) -> None:
    """`new` (the same landscape on edited data) takes `old`'s log-or-linear decision: the scale
    never flips while the data are edited, and the edit skips the decision's own map."""
    if len(_LOG_DECISIONS) > 256:
        _LOG_DECISIONS.clear()
    _LOG_DECISIONS[new.cache_key] = uses_log(old)


class Landscape:
    """The cached map surface for (potential, view). `surface(view, potential)` rebuilds only
    when either changed; `builds` counts rebuilds (tests check the cache)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._surface: pygame.Surface | None = None
        self.shading: Shading | None = None
        self.view: View | None = None
        self.draft = False  # whether the map on hand was computed at draft resolution
        self.builds = 0
        self._grey: tuple[pygame.Surface, pygame.Surface] | None = None  # (map, its grey copy)

    def surface(self, view: View, potential, draft: bool = False) -> pygame.Surface:
        """The map for this view. draft=True (while the user zooms or pans) computes it at
        1/DRAFT_FACTOR resolution and scales it up: several times cheaper, a little soft."""
        key = (potential.cache_key, view, bool(draft))
        if key != self._key or self._surface is None:
            self._surface = self._build(view, potential, draft)
            self._key = key
            self.view = view
            self.draft = bool(draft)
            self.builds += 1
        return self._surface

    def grey_surface(self, view: View, potential, draft: bool = False) -> pygame.Surface:
        """The same map as a grey relief (colormap.grey), cached with it: what basin colours
        are laid over, so that each basin reads as one colour whatever V is under it."""
        src = self.surface(view, potential, draft)
        if self._grey is None or self._grey[0] is not src:
            self._grey = (src, widgets.rgb_surface(colormap.grey(pygame.surfarray.array3d(src))))
        return self._grey[1]

    def _build(self, view: View, potential, draft: bool = False) -> pygame.Surface:
        grid = view
        if draft:
            k = DRAFT_FACTOR
            grid = View(view.cx, view.cy, view.scale / k, -(-view.w // k), -(-view.h // k))
        xs, ys = grid.pixel_centres()
        v = potential.value_grid(xs, ys)
        known = potential.minimum_values
        known_min = float(np.min(known)) if len(known) else None
        self.shading = Shading.for_values(v, uses_log(potential), known_min)
        surf = widgets.rgb_surface(shade(v, self.shading))
        if draft:
            big = pygame.transform.smoothscale(surf, (grid.w * DRAFT_FACTOR, grid.h * DRAFT_FACTOR))
            surf = pygame.Surface((view.w, view.h))
            # the grid's pixel centres sit DRAFT_FACTOR/2 - 1/2 pixels in: line the copies up
            off = -(DRAFT_FACTOR - 1) // 2
            surf.blit(big, (off, off))
        self._mark_minima(surf, view, potential)
        return surf

    @staticmethod
    def _mark_minima(surf: pygame.Surface, view: View, potential) -> None:
        mins = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
        if not len(mins):
            return
        vals = np.asarray(potential.minimum_values, dtype=np.float64)
        best = float(vals.min()) if len(vals) == len(mins) else None
        pix = view.to_screen(mins)
        r = MINIMUM_RADIUS
        for k, (px, py) in enumerate(pix):  # a handful of marks, once per map build
            if not (-r <= px < view.w + r and -r <= py < view.h + r):
                continue
            c = (int(px), int(py))
            glob = best is not None and abs(vals[k] - best) <= 1e-9 * max(1.0, abs(best))
            pygame.draw.circle(surf, MINIMUM_RIM, c, r + 1, 3)
            pygame.draw.circle(surf, MINIMUM_GLOBAL if glob else MINIMUM_LOCAL, c, r, 1)
            pygame.draw.line(surf, MINIMUM_CROSS, (c[0] - 2, c[1]), (c[0] + 2, c[1]))
            pygame.draw.line(surf, MINIMUM_CROSS, (c[0], c[1] - 2), (c[0], c[1] + 2))
