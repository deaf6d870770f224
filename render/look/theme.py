"""The house look: every colour and spacing the window draws with, in one place.

Colours are RGB (or RGBA where a fourth number is given) 0-255 tuples; sizes are pixels.
Modules that draw import their colours from here (some keep the old names as aliases).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping

# --- spacing ------------------------------------------------------------------------------------
MARGIN = 12  # between the HUD's panels and the window edge
PAD = 10  # inside a HUD panel (info, colourbar, help, toasts, scene cards)
PANEL_PAD = 8  # inside an instrument panel, the formula editor
LINE_GAP = 2  # between text rows of an instrument panel
HUD_ROW_GAP = 3  # between text rows of a HUD panel

# --- panels -------------------------------------------------------------------------------------
PANEL_RGBA = (12, 13, 22, 208)  # a panel's semi-transparent dark fill
PANEL_EDGE_RGBA = (255, 255, 255, 28)  # its one-pixel rim
PANEL_RADIUS = 8
LABEL_BOX_RGBA = (10, 10, 16, 125)  # the faint box behind an axis label
LABEL_BOX_RADIUS = 4
HELP_DIM_RGBA = (0, 0, 0, 90)  # laid over the whole window under the help card

# --- text ---------------------------------------------------------------------------------------
TEXT = (236, 237, 242)
DIM = (160, 164, 182)
ACCENT = (255, 206, 84)
WARN = (255, 110, 96)
TEXT_SHADOW = (0, 0, 0)  # under text written on a bar

# --- HUD plot, colourbar, axes ------------------------------------------------------------------
LOSS_COLOR = (255, 206, 84)
ENERGY_COLOR = (120, 210, 255)
PLOT_AXIS = (90, 94, 110)
COLORBAR_EDGE = (230, 230, 235)
TICK = (245, 245, 250)
SHADOW = (10, 10, 16)  # dark outline under ticks and arrows: readable on yellow
GRID = (70, 74, 92)  # frames and zero lines of the instrument plots

# --- balls --------------------------------------------------------------------------------------
# A rule's colour is its spec's (sim/rules/): warm and light, to stand out on viridis; outlined
# in dark. Where a spec's colour is too close to a rule earlier in the registry (many rules
# share a few light hues), the ball takes one from its group's palette instead: a hue range per
# group, lightness and chroma per member, the candidate farthest from every colour already
# taken and from viridis's light end. The first rules keep their spec colours exactly.
CLASH_DE = 20.0  # CIE76 ΔE below which two rule colours are hard to tell apart on the map
GROUP_HUES: dict[str, tuple[float, float] | None] = {  # CIELAB hue angles, degrees (None: greys)
    "gradient": None,
    "momentum": (20.0, 80.0),
    "adaptive": (260.0, 400.0),  # violet through pink to coral
    "newton": (340.0, 400.0),
    "newtonian": (340.0, 400.0),
    "second order": (100.0, 170.0),
    "second-order": (100.0, 170.0),
    "quasi-newton": (170.0, 250.0),
}
_LIGHTNESS = (88.0, 80.0, 72.0, 64.0)  # CIELAB L* of a member: light, to stand out on viridis
_CHROMA = (65.0, 45.0, 28.0)
_VIRIDIS_LIGHT = ((253, 231, 37), (181, 222, 43), (110, 206, 88), (53, 183, 121))  # no ball here


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB 0-255 -> CIELAB (D65)."""
    lin = [c / 255 for c in rgb]
    lin = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in lin]
    r, g, b = lin
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _rgb(L: float, a: float, b: float) -> tuple[int, int, int] | None:
    """CIELAB -> sRGB 0-255, or None outside the sRGB gamut."""
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    x, y, z = (t ** 3 if t ** 3 > 0.008856 else (t - 16 / 116) / 7.787 for t in (fx, fy, fz))
    x, z = x * 0.95047, z * 1.08883
    out = []
    for v in (3.2406 * x - 1.5372 * y - 0.4986 * z, -0.9689 * x + 1.8758 * y + 0.0415 * z,
              0.0557 * x - 0.2040 * y + 1.0570 * z):
        if v < -1e-6 or v > 1 + 1e-6:
            return None
        v = min(max(v, 0.0), 1.0)
        out.append(round(255 * (12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055)))
    return out[0], out[1], out[2]


def delta_e(c1: tuple[int, int, int], c2: tuple[int, int, int]) -> float:
    """CIE76 colour difference of two sRGB colours (about 2.3 is just noticeable)."""
    return math.dist(_lab(c1), _lab(c2))


@functools.lru_cache(maxsize=64)
def _group_candidates(group: str) -> tuple[tuple[int, int, int], ...]:
    hues = GROUP_HUES.get(group, (0.0, 360.0))
    out = []
    for L in _LIGHTNESS:
        if hues is None:  # greys, then faint tints
            out += [_rgb(L, 0.0, 0.0)] + [_rgb(L, 12 * math.cos(math.radians(h)), 12 * math.sin(math.radians(h)))
                                          for h in range(0, 360, 60)]
            continue
        lo, hi = hues
        for C in _CHROMA:
            for k in range(int((hi - lo) // 10) + 1):
                h = math.radians(lo + 10 * k)
                out.append(_rgb(L, C * math.cos(h), C * math.sin(h)))
    return tuple(c for c in out if c is not None)


@functools.lru_cache(maxsize=16)
def rule_palette_for(specs: tuple[tuple[str, str, tuple[int, int, int]], ...]) -> dict[str, tuple[int, int, int]]:
    """(name, group, spec colour) in registry order -> name -> the colour drawn: the spec's
    unless it is within CLASH_DE of a colour taken before it, else its group's candidate
    farthest from every colour taken and from viridis's light end."""
    taken: dict[str, tuple[int, int, int]] = {}
    for name, group, color in specs:
        if all(delta_e(color, c) >= CLASH_DE for c in taken.values()):
            taken[name] = tuple(color)
            continue
        avoid = list(taken.values()) + list(_VIRIDIS_LIGHT)
        taken[name] = max(_group_candidates(group), key=lambda c: min(delta_e(c, o) for o in avoid))
    return taken


class _RuleColors(Mapping):
    """Rule name -> its colour (rule_palette_for over the registry's specs)."""

    @staticmethod
    def _table() -> dict[str, tuple[int, int, int]]:
        from sim.rules import registry
        return rule_palette_for(tuple((s.name, s.group, tuple(s.color)) for s in registry.specs().values()))

    def __getitem__(self, name: str) -> tuple[int, int, int]:
        try:
            return self._table()[name]
        except KeyError:
            raise KeyError(name) from None

    def __iter__(self):
        from sim.rules import registry
        return iter(registry.names())

    def __len__(self) -> int:
        from sim.rules import registry
        return len(registry.names())


RULE_COLORS: Mapping[str, tuple[int, int, int]] = _RuleColors()
UNKNOWN_RULE_COLOR = (255, 255, 255)


BALL_OUTLINE = (14, 14, 20)

# --- arrows -------------------------------------------------------------------------------------
VELOCITY_COLOR = (255, 255, 255)
FORCE_COLOR = (90, 230, 255)
FIELD_COLOR = (255, 255, 255, 150)

# --- the map ------------------------------------------------------------------------------------
NAN_RGB = (30, 30, 34)  # pixels where V is not finite
MINIMUM_RIM = (20, 20, 24)  # the dark ring around a known minimum's mark
MINIMUM_GLOBAL = (255, 255, 255)  # the mark of the lowest known minimum
MINIMUM_LOCAL = (200, 200, 205)  # the mark of the others
MINIMUM_CROSS = (255, 255, 255)

# --- instrument panels --------------------------------------------------------------------------
STATUS_COLORS: dict[str, tuple[int, int, int]] = {
    "ok": (96, 214, 120),
    "warn": (255, 184, 56),
    "bad": (255, 84, 72),
    "n/a": (120, 124, 140),
}
LEDGER_COLORS: dict[str, tuple[int, int, int]] = {
    "kinetic": ENERGY_COLOR,
    "potential": LOSS_COLOR,
    "dissipated": RULE_COLORS["momentum"],
    "drift": RULE_COLORS["adam"],
}
HEAT_BAR = ENERGY_COLOR
HEAT_CURVE = LOSS_COLOR
# basins: distinct colors (Okabe-Ito, then Tableau), cycled when there are more minima
BASIN_PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
    (213, 94, 0), (204, 121, 167), (255, 255, 255), (148, 103, 189), (140, 86, 75),
    (188, 189, 34), (23, 190, 207),
)
BASIN_DIVERGED_RGBA = (0, 0, 0, 170)
BASIN_MOVING_RGBA = (128, 128, 128, 60)

# --- formula editor, scene list, recorder -------------------------------------------------------
EDITOR_BG = (22, 25, 33)
EDITOR_BORDER = (90, 110, 150)
EDITOR_BORDER_ERROR = (200, 60, 60)
EDITOR_PROMPT = (150, 160, 180)
EDITOR_TEXT = (240, 240, 245)
EDITOR_HINT = (130, 138, 155)
EDITOR_ERROR = (240, 80, 80)
EDITOR_CURSOR = (250, 250, 250)
SELECTED_BG = (70, 80, 110)  # the chosen row of the scene list
REC_DOT = (230, 30, 40)
