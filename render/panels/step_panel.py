"""The step panel: one ball's last tick as arithmetic with numbers (sim/step_readout.py), and
the vector terms as arrows from the ball on the map, in the panel's colours (the panel's
coloured swatches are the legend).

Arrow lengths are to scale within a family (gradients, buffers, steps, forces, velocities):
the longest of a family is `longest` pixels; a non-zero term is never shorter than
ARROW_SHORTEST pixels. `arrow_geometry` is pure (tested without a display).
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pygame

from render.map.arrows import draw_arrows
from render.look.widgets import fit_text
from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, PANEL_PAD as PAD, TEXT
from render.look.widgets import draw_panel, text as render_text
from sim.rules.base import BUFFER, FORCE, GRADIENT, STEP, VELOCITY, Term
from sim.runtime.step_readout import Readout

# one colour per term drawn as an arrow (the swatch beside its row is the legend)
TERM_COLORS: dict[str, tuple[int, int, int]] = {
    "g": (255, 120, 96),  # the gradient points uphill
    "d": (255, 170, 120),
    "ratio": (255, 150, 210),
    "u": (190, 140, 255),
    "m": (190, 140, 255),
    "force": (90, 230, 255),  # −∇V points downhill
    "friction": (255, 140, 50),
    "a": (120, 255, 170),
    "noise": (255, 95, 215),
    "dv": (236, 237, 242),
    "dx": (255, 206, 84),
}
ARROW_LONGEST = 80.0  # pixels: the longest arrow of a family
ARROW_SHORTEST = 16.0  # pixels: a non-zero term stays visible (it clears the selection ring)
# each family's longest arrow as a share of `longest`: families differ, so parallel terms of
# two families (a force and the step it causes) do not hide one another
FAMILY_SHARE = {GRADIENT: 1.0, FORCE: 1.0, BUFFER: 0.8, VELOCITY: 0.7, STEP: 0.55}
SWATCH = 14  # pixels: the legend line before a row
PANEL_WIDTH = 330  # pixels: preferred width
READING_WRAP = 56  # characters per row of the rule's Newtonian reading
ASCII = {"∇": "grad ", "−": "-", "½": "1/2", "ᵗ": "^t", "₁": "1", "₂": "2", "√": "sqrt",
         "\u0302": "^", "²": "^2", "·": "*", "′": "'"}  # when the font is pygame's own


@dataclass(frozen=True)
class Arrow:
    """One term as an arrow from the ball: tail, tip [2] in pixels (y down)."""

    key: str
    tail: np.ndarray
    tip: np.ndarray
    color: tuple[int, int, int]
    magnitude: float  # |term| in its own units


def arrow_terms(readout: Readout) -> list[Term]:
    """The vector terms drawn as arrows (those with a colour, finite values)."""
    return [t for t in readout.terms
            if t.vector and t.key in TERM_COLORS and np.isfinite(t.value).all()]


def arrow_geometry(readout: Readout, ball_px: Sequence[float],
                   longest: float = ARROW_LONGEST) -> list[Arrow]:
    """Arrows from the ball's pixel (x, y) for every arrow term: world y up becomes pixel y
    down; each family's longest is `longest` * FAMILY_SHARE pixels, the rest in proportion.
    Longest first (draw in order: the shorter ones end on top)."""
    terms = arrow_terms(readout)
    mags = {t.key: float(np.hypot(*t.value)) for t in terms}
    top: dict[str, float] = {}
    for t in terms:
        top[t.kind] = max(top.get(t.kind, 0.0), mags[t.key])
    tail = np.asarray(ball_px, dtype=float)
    out = []
    for t in terms:
        mag = mags[t.key]
        if not mag > 0.0:
            continue
        length = max(longest * FAMILY_SHARE.get(t.kind, 1.0) * mag / top[t.kind], ARROW_SHORTEST)
        u = np.array([t.value[0], -t.value[1]]) / mag
        out.append(Arrow(t.key, tail.copy(), tail + length * u, TERM_COLORS[t.key], mag))
    out.sort(key=lambda a: -float(np.hypot(*(a.tip - a.tail))))
    return out


def value_text(v: np.ndarray | float) -> str:
    if isinstance(v, np.ndarray):
        return f"({fmt(v[0])}, {fmt(v[1])})"
    return fmt(v, 6)


class StepPanel:
    """Draws a readout as rows `symbol = formula = value`; `unicode` False writes symbols the
    bundled pygame font lacks in ASCII."""

    def __init__(self, font: pygame.font.Font, unicode: bool = True) -> None:
        self.font = font
        self.unicode = unicode

    def text(self, s: str) -> str:
        if self.unicode:
            return s
        for a, b in ASCII.items():
            s = s.replace(a, b)
        return s

    def lines(self, readout: Readout | None) -> list[tuple[str, str, tuple[int, int, int]]]:
        """(key, text, colour) per row: a title, the terms, a note."""
        if readout is None:
            return [("", "step: click a ball", ACCENT)]
        r = readout.rule
        rows = [("", f"step  {r.name}  ball {readout.row}  tick {readout.tick}", ACCENT)]
        for t in readout.terms:
            color = TERM_COLORS.get(t.key, TEXT)
            text = f"{t.symbol} = {t.formula} = {value_text(t.value)}"
            if t.symbol == t.formula:
                text = f"{t.symbol} = {value_text(t.value)}"
            rows.append((t.key, self.text(text), color))
        if readout.note:
            rows.append(("", readout.note, DIM))
        reading = r.spec.reading(r)  # the rule as a particle law (RuleSpec.reading)
        if reading is not None:
            nums = "  ".join(f"{k} {fmt(v)}" for k, v in reading.numbers.items())
            for part in textwrap.wrap("as a particle: " + reading.sentence, READING_WRAP):
                rows.append(("", self.text(part), DIM))
            if nums:
                rows.append(("", self.text(nums), DIM))
        else:
            rows.append(("", f"as a particle: n/a for {r.name}", DIM))
        return rows

    def measure(self, readout: Readout | None) -> tuple[int, int]:
        """Preferred size: PANEL_WIDTH wide (or the widest row), every row high."""
        rows = self.lines(readout)
        widest = max(self.font.size(s)[0] for _, s, _ in rows) + SWATCH + 6 + 2 * PAD
        lh = self.font.get_linesize() + 2
        return min(max(PANEL_WIDTH, widest), 2 * PANEL_WIDTH), len(rows) * lh + 2 * PAD

    def draw(self, surface: pygame.Surface, rect: pygame.Rect,
             readout: Readout | None) -> dict[str, pygame.Rect]:
        """The panel in rect (clipped to it). Returns each arrow term's swatch rect by key."""
        rect = pygame.Rect(rect)
        old = surface.get_clip()
        surface.set_clip(rect.clip(old))
        swatches: dict[str, pygame.Rect] = {}
        arrows = {t.key for t in arrow_terms(readout)} if readout is not None else set()
        try:
            draw_panel(surface, rect)
            lh = self.font.get_linesize() + 2
            y = rect.y + PAD
            x_text = rect.x + PAD + SWATCH + 6
            for key, text, color in self.lines(readout):
                if key in arrows:
                    sw = pygame.Rect(rect.x + PAD, y + lh // 2 - 1, SWATCH, 3)
                    surface.fill(color, sw)
                    swatches[key] = sw
                x = x_text if key else rect.x + PAD
                s = render_text(self.font, fit_text(self.font, text, rect.right - PAD - x),
                                color if key in arrows or not key else TEXT)
                surface.blit(s, (x, y))
                y += lh
        finally:
            surface.set_clip(old)
        return swatches

    def draw_arrows(self, surface: pygame.Surface, readout: Readout | None,
                    ball_px: Sequence[float], longest: float = ARROW_LONGEST) -> list[Arrow]:
        """The arrow terms from the ball's pixel, in the panel's colours; returns them."""
        if readout is None:
            return []
        arrows = arrow_geometry(readout, ball_px, longest)
        for a in arrows:  # longest first: the shorter ones end on top
            if math.isfinite(float(a.tip.sum())):
                draw_arrows(surface, a.tail[None, :], a.tip[None, :], a.color)
        return arrows
