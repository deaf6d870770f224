"""The house look: every colour and spacing the window draws with, in one place.

Colours are RGB (or RGBA where a fourth number is given) 0-255 tuples; sizes are pixels.
Modules that draw import their colours from here (some keep the old names as aliases).
"""
from __future__ import annotations

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
# colour per rule name: warm and light, to stand out on viridis; outlined in dark
class _RuleColors(Mapping):
    """Rule name -> its colour, read from the rule's spec (sim/rules/): warm and light, to
    stand out on viridis; outlined in dark."""

    def __getitem__(self, name: str) -> tuple[int, int, int]:
        from sim.rules import registry
        try:
            return registry.get(name).color
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
