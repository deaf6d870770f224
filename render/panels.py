"""The instrument panels (sim/instruments.py's numbers, drawn): each function draws one
instrument into a given `pygame.Surface` inside a given `pygame.Rect`, reads the world, never
changes it, and never draws outside the rect. Non-finite numbers are written "—".

How the app calls them (the state it keeps between frames is listed with each):

- `draw_race_legend(surface, rect, world, font, colors=None)` -- every frame while racing.
  State: none (the race itself is `sim.instruments.drop_race(world, point, names)` on click,
  with the list of names the user chose). `colors`: the balls' palette per rule id (e.g.
  `render.balls.rule_palette(world.rules)`); default: this module's RULE_COLORS.
- `draw_bridge_panel(surface, rect, world, font, pairs=None)` -- every frame while the bridge is
  on. State: when the "twin" toggle is on, drop with `sim.instruments.drop_with_twin(world,
  pos)` and keep the returned (ball rows, twin rows); pass them as `pairs` to show the gap.
  (Rows shift when balls are removed: drop the pairs on any removal or clear.)
- `draw_ledger_panel(surface, rect, world, font, history, rows=None)` -- every frame. State: one
  `LedgerHistory`; call `history.push(world, rows)` once per tick batch (e.g. after each
  update that ran ticks) and `history.clear()` when the rule, potential or balls change.
  `rows`: the selected ball's row (or None for all balls).
- `draw_stability_panel(surface, rect, world, font, row=None, point=None)` -- every frame; row:
  the ball under the cursor, else point: the world point under the cursor (current rule).
- `draw_basin_overlay(surface, job, to_screen=None, view=None, alpha=BASIN_ALPHA)` -- over the
  map, every frame while a `sim.instruments.BasinJob` exists. State: the job. Between frames
  call `job.advance(budget_ticks, max_seconds)` (e.g. 400 ticks, 8 ms) until `job.done`;
  Esc -> `job.cancel()`; a new rule, potential or view makes a new job. `to_screen`: world
  [k, 2] -> pixels [k, 2] (e.g. `render.view.View.to_screen`), or `view` = the world rect
  (x0, x1, y0, y1) that `surface` shows, y up.
- `draw_progress_bar(surface, rect, progress, font=None, label="")` -- while `job.running`.
- `draw_heat_panel(surface, rect, world, font, view=None, bins=HEAT_BINS)` -- every frame for
  langevin. State: none (the prediction is cached in sim.instruments per potential, T, view).
  Returns the bar rects (handy for tests and hit-testing).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import pygame

from render.balls import RULE_COLORS
from render.hud import Ring, fit_text, fmt
from sim import instruments as ins
from sim.particles import ALIVE

# --- the house look (matches render/hud.py) ------------------------------------------------------
PANEL_RGBA = (12, 13, 22, 208)
PANEL_EDGE_RGBA = (255, 255, 255, 28)
PANEL_RADIUS = 8
PAD = 8  # pixels inside a panel
LINE_GAP = 2  # pixels between text rows
TEXT = (236, 237, 242)
DIM = (160, 164, 182)
ACCENT = (255, 206, 84)
GRID = (70, 74, 92)
DASH = "—"

STATUS_COLORS: dict[str, tuple[int, int, int]] = {
    "ok": (96, 214, 120),
    "warn": (255, 184, 56),
    "bad": (255, 84, 72),
    "n/a": (120, 124, 140),
}
CHIP = 9  # pixels: the square status chip beside a metric


LEDGER_SERIES = ("kinetic", "potential", "dissipated", "drift")
LEDGER_COLORS: dict[str, tuple[int, int, int]] = {
    "kinetic": (120, 210, 255),
    "potential": (255, 206, 84),
    "dissipated": (255, 140, 50),
    "drift": (255, 95, 215),
}
LEDGER_HISTORY = 360  # samples in the ledger plot

HEAT_BAR = (120, 210, 255)
HEAT_CURVE = (255, 206, 84)
HEAT_BINS = ins.HEAT_BINS
HEAT_MIN_EXPECTED = 5.0  # bins with fewer expected balls stay out of the chi-square

# basins: distinct colors (Okabe-Ito, then Tableau), cycled when there are more minima
BASIN_PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
    (213, 94, 0), (204, 121, 167), (255, 255, 255), (148, 103, 189), (140, 86, 75),
    (188, 189, 34), (23, 190, 207),
)
BASIN_DIVERGED_RGBA = (0, 0, 0, 170)
BASIN_MOVING_RGBA = (128, 128, 128, 60)
BASIN_ALPHA = 110  # opacity of a basin's shade (0-255)

_TEXT_CACHE_MAX = 1500
_text_cache: dict[tuple, pygame.Surface] = {}
_panel_cache: dict[tuple[int, int], pygame.Surface] = {}


# ================================================================================================
# Small helpers
# ================================================================================================

def render_text(font: pygame.font.Font, s: str, color: tuple[int, int, int] = TEXT) -> pygame.Surface:
    """An anti-aliased text surface, cached by (text, font, color).

    Panels use only Latin, Greek, "−", "·", "²", "—" and "…", which pygame's bundled font has too."""
    key = (s, id(font), color)
    surf = _text_cache.get(key)
    if surf is None:
        if len(_text_cache) >= _TEXT_CACHE_MAX:
            _text_cache.clear()
        surf = _text_cache[key] = font.render(s, True, color)
    return surf


def draw_panel(surface: pygame.Surface, rect: pygame.Rect) -> None:
    """The semi-transparent dark rounded panel filling rect."""
    rect = pygame.Rect(rect)
    if rect.w <= 0 or rect.h <= 0:
        return
    s = _panel_cache.get(rect.size)
    if s is None:
        if len(_panel_cache) > 64:
            _panel_cache.clear()
        s = pygame.Surface(rect.size, pygame.SRCALPHA, 32)
        radius = min(PANEL_RADIUS, rect.w // 2, rect.h // 2)
        pygame.draw.rect(s, PANEL_RGBA, s.get_rect(), border_radius=radius)
        pygame.draw.rect(s, PANEL_EDGE_RGBA, s.get_rect(), width=1, border_radius=radius)
        _panel_cache[rect.size] = s
    surface.blit(s, rect)


class _Clip:
    """Context manager: clip drawing to rect (within any clip already set), restore after."""

    def __init__(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        self.surface, self.rect = surface, pygame.Rect(rect)

    def __enter__(self) -> pygame.Rect:
        self.old = self.surface.get_clip()
        clip = self.rect.clip(self.old)
        self.surface.set_clip(clip)
        return clip

    def __exit__(self, *exc) -> None:
        self.surface.set_clip(self.old)


class _Writer:
    """Writes rows of text pieces top to bottom inside a rect."""

    def __init__(self, surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font) -> None:
        self.surface, self.font = surface, font
        self.x0 = rect.x + PAD
        self.x1 = rect.right - PAD
        self.y = rect.y + PAD
        self.line_h = font.get_linesize()

    def row(self, *parts: tuple[str, tuple[int, int, int]], chip: str | None = None,
            col: Sequence[int] = ()) -> int:
        """One row: (text, color) pieces left to right; `col` gives x offsets for pieces after
        the first (tabular layout); `chip` draws a status chip at the left. Returns row top."""
        top = self.y
        x = self.x0
        if chip is not None:
            c = STATUS_COLORS.get(chip, STATUS_COLORS["n/a"])
            cy = top + (self.line_h - CHIP) // 2
            self.surface.fill(c, pygame.Rect(x, cy, CHIP, CHIP))
            x += CHIP + 5
        for i, (text, color) in enumerate(parts):
            if 0 < i <= len(col):
                x = max(x, self.x0 + col[i - 1])
            s = render_text(self.font, text, color)
            self.surface.blit(s, (x, top))
            x += s.get_width()
        self.y += self.line_h + LINE_GAP
        return top

    def wrapped(self, text: str, color: tuple[int, int, int] = DIM) -> None:
        """A paragraph wrapped to the rect's width."""
        words = text.split()
        line = ""
        for w in words:
            trial = f"{line} {w}" if line else w
            if line and self.font.size(trial)[0] > self.x1 - self.x0:
                self.row((line, color))
                line = w
            else:
                line = trial
        if line:
            self.row((line, color))

    def space(self, px: int) -> None:
        self.y += px


def draw_line_plot(surface: pygame.Surface, rect: pygame.Rect,
                   series: Sequence[tuple[np.ndarray, tuple[int, int, int]]],
                   zero_line: bool = True) -> tuple[float, float] | None:
    """Small line plot of several series [k] (shared x = sample index, shared y autoscaled)
    inside rect; non-finite samples break the line. Returns the (ymin, ymax) used, or None."""
    rect = pygame.Rect(rect)
    if rect.w < 4 or rect.h < 4:
        return None
    finite = [np.asarray(y, dtype=np.float64) for y, _ in series]
    allv = np.concatenate([y[np.isfinite(y)] for y in finite] + [np.zeros(0)])
    pygame.draw.rect(surface, GRID, rect, width=1)
    if not len(allv):
        return None
    lo, hi = float(allv.min()), float(allv.max())
    if zero_line:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    inner = rect.inflate(-4, -4)

    def ypix(v: np.ndarray) -> np.ndarray:
        return inner.bottom - 1 - (v - lo) / span * (inner.h - 1)

    if zero_line and lo < 0 < hi:
        y0 = int(round(float(ypix(np.array(0.0)))))
        pygame.draw.line(surface, GRID, (inner.x, y0), (inner.right - 1, y0))
    for y, (_, color) in zip(finite, series):
        k = len(y)
        if k == 0:
            continue
        xs = inner.x + (np.arange(k) * ((inner.w - 1) / max(k - 1, 1)))
        ys = ypix(y)
        ok = np.isfinite(ys)
        # draw each finite run as one polyline
        idx = np.flatnonzero(ok)
        if not len(idx):
            continue
        breaks = np.flatnonzero(np.diff(idx) > 1)
        for run in np.split(idx, breaks + 1):
            pts = list(zip(xs[run].tolist(), ys[run].tolist()))
            if len(pts) == 1:
                surface.fill(color, pygame.Rect(int(pts[0][0]), int(pts[0][1]), 1, 1))
            else:
                pygame.draw.lines(surface, color, False, pts, 1)
    return lo, hi


# ================================================================================================
# Race
# ================================================================================================

def draw_race_legend(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                     colors: Sequence[tuple[int, int, int]] | None = None,
                     twins: dict[int, int] | None = None) -> None:
    """One row per rule that has balls: its color, name and parameters, and the current loss
    of its most recent ball (diverged balls: "diverged"); the leader is marked. `twins` maps a
    twin rule's id to the id of the lane whose balls it follows: such a rule is not a lane of
    its own but an indented "twin:" row under its lane, with a ring (as on the map)."""
    rect = pygame.Rect(rect)
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        w = _Writer(surface, rect, font)
        # rows are indented 14 px by their colour dot; keep room for the widest loss
        loss_col = rect.w - 2 * PAD - 14 - font.size("−0.000e−00 best")[0]
        w.row(("race", ACCENT), ("loss V", DIM), col=(loss_col + 14,))
        p = world.particles
        last = ins.last_ball_per_rule(world)
        rules = sorted(set(int(r) for r in np.unique(p.rule)))
        if not rules:
            w.row(("click to drop one ball per rule", DIM))
            return
        losses: dict[int, float] = {}
        for rid in rules:
            row = last.get(rid)
            losses[rid] = float(world.potential.value(p.pos[row:row + 1])[0]) if row is not None else math.nan
        order = race_rows(rules, twins)
        lanes = [rid for rid, twin in order if not twin]
        finite = {k: losses[k] for k in lanes if math.isfinite(losses[k])}
        leader = min(finite, key=finite.get) if finite else None
        for rid, twin in order:
            rule = world.rules[rid]
            color = tuple(colors[rid]) if colors is not None and rid < len(colors) else \
                RULE_COLORS.get(rule.name, TEXT)
            cy = w.y + w.line_h // 2
            indent = 14 if twin else 0
            dark = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2] < 100
            if twin:
                pygame.draw.circle(surface, color, (w.x0 + indent + 5, cy), 5, 2)
            else:
                pygame.draw.circle(surface, color, (w.x0 + 5, cy), 5)
            if dark:  # a dark shade: outline its dot, write its label in the text colour
                pygame.draw.circle(surface, DIM, (w.x0 + indent + 5, cy), 6, 1)
            w.x0 += 14 + indent
            loss = fmt(losses[rid]) if rid in last else "diverged"
            lead = rid == leader and len(lanes) > 1
            tone = ACCENT if lead else (DIM if twin else TEXT) if rid in last else STATUS_COLORS["bad"]
            label = f"twin {_short_label(rule, integrator=False)}" if twin else _short_label(rule)
            label = fit_text(font, label, loss_col - indent - 6)  # never into the loss column
            w.row((label, TEXT if dark else color), (loss + (" best" if lead else ""), tone),
                  col=(loss_col - indent,))
            w.x0 -= 14 + indent


def race_rows(rules: Sequence[int], twins: dict[int, int] | None = None) -> list[tuple[int, bool]]:
    """The race legend's rows: (rule id, is a twin row), lanes in `rules` order, each lane's
    twin rules right under it. A twin whose lane has no balls is a lane row of its own."""
    twins = {t: b for t, b in (twins or {}).items() if t in rules and b in rules and t != b}
    out: list[tuple[int, bool]] = []
    for rid in rules:
        if rid in twins:
            continue
        out.append((rid, False))
        out.extend((t, True) for t in sorted(twins) if twins[t] == rid)
    return out


def _short_label(rule, integrator: bool = True) -> str:
    batch = f" B={rule.batch}" if getattr(rule, "batch", 0) else ""  # a minibatch lane
    return _rule_label(rule, integrator) + batch


def _rule_label(rule, integrator: bool) -> str:
    if rule.newtonian:  # lanes often differ only in mass (the overdamped limit)
        extra = (f" {rule.integrator}" if integrator and rule.name == "newton"
                 and rule.integrator != "verlet" else "")
        mass = f" m={fmt(rule.mass, 3)}" if rule.mass != 1.0 else ""
        return f"{rule.name}{extra}{mass} dt={fmt(rule.dt, 3)}"
    if rule.name in ("momentum", "nesterov"):
        return f"{rule.name} lr={fmt(rule.lr, 3)} β={fmt(rule.beta, 3)}"
    return f"{rule.name} lr={fmt(rule.lr, 3)}"


# ================================================================================================
# Bridge
# ================================================================================================

def draw_bridge_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                      pairs: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """The current rule's other side of the bridge, live: optimizer (lr, β) <-> Newton (dt, m, γ),
    a one-line explanation, and (given pairs of ball / twin rows) the largest gap between them."""
    rect = pygame.Rect(rect)
    b = ins.bridge(world.rule)
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        w = _Writer(surface, rect, font)
        w.row(("bridge  ", ACCENT), ("optimizer = Newton with friction", DIM))
        tab = (120,)
        if b["direction"] == "to_newton":
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)),
                  (f"lr = {fmt(b['lr'])}   β = {fmt(b['beta'])}", TEXT), col=tab)
            w.row(("newton twin", RULE_COLORS["newton"]),
                  (f"m = dt²/lr = {fmt(b['mass'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"γ = (1−β)·dt/lr = {fmt(b['friction'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"dt = {fmt(b['dt'])}  symplectic", TEXT), col=tab)
        elif b["direction"] == "to_momentum":
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)),
                  (f"dt = {fmt(b['dt'])}  m = {fmt(b['mass'])}  γ = {fmt(b['friction'])}", TEXT), col=tab)
            name = b["twin"].name if b["twin"] is not None else "momentum"
            color = RULE_COLORS.get(name, TEXT) if b["valid"] else STATUS_COLORS["bad"]
            w.row((f"{name} twin", color), (f"lr = dt²/m = {fmt(b['lr'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"β = 1 − γ·dt/m = {fmt(b['beta'])}", TEXT), col=tab)
        else:
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)), ("no twin", DIM), col=tab)
        if pairs is not None and len(pairs[0]) and len(pairs[0]) == len(pairs[1]):
            gap = _twin_gap(world, pairs)
            w.row(("twin gap", DIM), (f"max |x − x_twin| = {fmt(gap, 3)}", TEXT), col=tab)
        w.space(2)
        w.wrapped(b["text"])


def _twin_gap(world, pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest distance between a ball and its twin (alive pairs; nan when none)."""
    a, t = (np.asarray(x, dtype=np.intp) for x in pairs)
    n = world.n
    ok = (a < n) & (t < n)
    a, t = a[ok], t[ok]
    p = world.particles
    alive = (p.status[a] == ALIVE) & (p.status[t] == ALIVE)
    if not alive.any():
        return math.nan
    d = p.pos[a[alive]] - p.pos[t[alive]]
    return float(np.hypot(d[:, 0], d[:, 1]).max())


# ================================================================================================
# Energy ledger
# ================================================================================================

class LedgerHistory(Ring):
    """Ring buffer of ledger totals for the live plot: per sample (time, kinetic, potential,
    dissipated, drift), shape [capacity, 5]."""

    FIELDS = ("time",) + LEDGER_SERIES

    def __init__(self, capacity: int = LEDGER_HISTORY) -> None:
        super().__init__(max(int(capacity), 2), len(self.FIELDS))

    def add(self, t: float, total: dict) -> None:
        """Append one sample from a ledger's `total` dict."""
        self.append([t] + [total.get(k, math.nan) for k in LEDGER_SERIES])

    def push(self, world, rows: Any = None) -> dict:
        """Append the ledger totals of world (rows: selection, default all) now; returns them."""
        total = ins.ledger_total(world, rows)
        self.add(world.time, total)
        return total


def draw_ledger_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                      history: LedgerHistory | None = None, rows: Any = None,
                      everyone: dict | None = None) -> None:
    """Kinetic, potential, dissipated, drift for the selected ball (rows) and for all balls, and
    the history as a plot. Optimizer balls have no mass: their columns read "—". `everyone`:
    the all-balls totals when the caller has them for this very state (saves a second pass)."""
    rect = pygame.Rect(rect)
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        w = _Writer(surface, rect, font)
        everyone = everyone if everyone is not None else ins.ledger_total(world)
        sel = ins.ledger_total(world, rows) if rows is not None else None
        c1, c2 = 96, 96 + max((rect.w - 2 * PAD - 96) // 2, 60)
        w.row(("energy ledger", ACCENT), ("ball" if sel is not None else "", DIM),
              (f"all ({everyone['count']})", DIM), col=(c1, c2))
        for key in LEDGER_SERIES:
            a = fmt(sel[key]) if sel is not None else ""
            w.row((key, LEDGER_COLORS[key]), (a, TEXT), (fmt(everyone[key]), TEXT), col=(c1, c2))
        if everyone["na"]:
            w.row((f"{everyone['na']} optimizer/diverged balls: no mass, n/a", DIM))
        if history is not None:
            s = history.series()
            plot = pygame.Rect(rect.x + PAD, w.y + 2, rect.w - 2 * PAD, rect.bottom - PAD - w.y - 2)
            if plot.h >= 12 and len(s):
                draw_line_plot(surface, plot, [(s[:, i + 1], LEDGER_COLORS[k])
                                               for i, k in enumerate(LEDGER_SERIES)])


# ================================================================================================
# Stability
# ================================================================================================

def stability_rows(world, row: int | None = None, point: Sequence[float] | None = None
                   ) -> tuple[Any, np.ndarray] | None:
    """(rule, position [1, 2]) that the stability panel reads: the ball at `row` under its own
    rule, else `point` under the current rule; None when neither is given."""
    if row is not None and 0 <= row < world.n:
        return world.rules[int(world.particles.rule[row])], world.particles.pos[row:row + 1].copy()
    if point is not None:
        return world.rule, np.asarray(point, dtype=np.float64).reshape(1, 2)
    return None


def draw_stability_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                         row: int | None = None, point: Sequence[float] | None = None) -> dict | None:
    """Curvature against the step: λmax, lr·λmax, ω·dt, ζ at the ball under the cursor, each
    with an ok / warn / bad / n/a chip. Returns the metrics drawn (or None)."""
    rect = pygame.Rect(rect)
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        w = _Writer(surface, rect, font)
        target = stability_rows(world, row, point)
        w.row(("stability", ACCENT), (f"  {target[0].name}" if target else "", DIM))
        if target is None:
            w.row(("hover over a ball", DIM))
            return None
        rule, pos = target
        m = ins.stability(world.potential, rule, pos)
        lam, lam_min = float(m["lam_max"][0]), float(m["lam_min"][0])
        tab = (74, 150)
        curv = "ok" if lam > 0 else "n/a"
        w.row(("λmax", TEXT), (fmt(lam), TEXT), (f"λmin {fmt(lam_min)}", DIM), chip=curv, col=tab)
        w.row(("lr·λmax", TEXT), (fmt(m["lr_lam"][0]), TEXT),
              (_limit_text(m["lr_lam_limit"][0]), DIM), chip=str(m["status_lr_lam"][0]), col=tab)
        twin = " (twin)" if rule.name in ins.TWIN_RULES else ""
        w.row(("ω·dt", TEXT), (fmt(m["omega_dt"][0]), TEXT),
              (_limit_text(m["omega_dt_limit"][0]) + twin, DIM), chip=str(m["status_omega_dt"][0]),
              col=tab)
        z = float(m["zeta"][0])
        regime = DASH if not math.isfinite(z) else (
            "underdamped" if z < 0.95 else "critical" if z <= 1.05 else "overdamped")
        w.row(("ζ", TEXT), (fmt(z), TEXT), (regime + twin, DIM), chip=str(m["status_zeta"][0]), col=tab)
        return {k: v[0] for k, v in m.items()}


def _limit_text(limit: float) -> str:
    if not math.isfinite(limit):
        return "no fixed limit"
    if limit <= 0.0:  # explicit Euler without friction: every step size gains energy
        return "unstable at any step"
    return f"stable < {fmt(limit, 3)}"


# ================================================================================================
# Basins
# ================================================================================================

def basin_colors(labels: np.ndarray, alpha: int = BASIN_ALPHA) -> np.ndarray:
    """RGBA [..., 4] uint8 per label: palette color per minimum, dark for diverged, faint grey
    for still moving."""
    labels = np.asarray(labels)
    pal = np.array([c + (alpha,) for c in BASIN_PALETTE], dtype=np.uint8)
    out = np.empty(labels.shape + (4,), dtype=np.uint8)
    good = labels >= 0
    out[good] = pal[labels[good] % len(pal)]
    out[labels == ins.DIVERGED] = BASIN_DIVERGED_RGBA
    out[~good & (labels != ins.DIVERGED)] = BASIN_MOVING_RGBA
    return out


def basin_surface(labels: np.ndarray, alpha: int = BASIN_ALPHA) -> pygame.Surface:
    """A gx x gy SRCALPHA surface, one pixel per grid cell, from labels [gx, gy] (x first,
    y up: row 0 of the surface is the largest y)."""
    labels = np.asarray(labels)
    gx, gy = labels.shape
    rgba = basin_colors(labels[:, ::-1], alpha)  # [gx, gy, 4], y flipped to screen order
    s = pygame.Surface((gx, gy), pygame.SRCALPHA, 32)
    px = pygame.surfarray.pixels3d(s)
    px[...] = rgba[..., :3]
    del px
    pa = pygame.surfarray.pixels_alpha(s)
    pa[...] = rgba[..., 3]
    del pa
    return s


_basin_cache: dict[str, Any] = {"key": None, "surface": None}


def draw_basin_overlay(surface: pygame.Surface, job, to_screen: Callable[[np.ndarray], np.ndarray] | None = None,
                       view: Sequence[float] | None = None, alpha: int = BASIN_ALPHA) -> pygame.Rect | None:
    """Shade the map by basin: the job's grid (over job.view) scaled onto the pixels where that
    world rect appears. Give `to_screen` (world [k, 2] -> pixels [k, 2]) or `view` (the world
    rect (x0, x1, y0, y1) the surface shows, y up). Returns the screen rect of the grid (or None
    when it is off screen). Only the visible part is scaled, so deep zooms stay cheap."""
    gx, gy = job.grid
    x0, x1, y0, y1 = job.view
    corners = np.array([[x0, y1], [x1, y0]], dtype=np.float64)  # world top-left, bottom-right
    sw, sh = surface.get_size()
    if to_screen is not None:
        px = np.asarray(to_screen(corners), dtype=np.float64)
    elif view is not None:
        vx0, vx1, vy0, vy1 = (float(v) for v in view)
        px = np.column_stack([(corners[:, 0] - vx0) / (vx1 - vx0) * sw,
                              (vy1 - corners[:, 1]) / (vy1 - vy0) * sh])
    else:
        raise ValueError("draw_basin_overlay needs to_screen or view")
    if not np.isfinite(px).all():
        return None
    left, top = px[0]
    right, bottom = px[1]
    if right <= left or bottom <= top:
        return None
    full = pygame.Rect(int(math.floor(left)), int(math.floor(top)),
                       max(int(round(right - left)), 1), max(int(round(bottom - top)), 1))
    with _Clip(surface, surface.get_rect()) as clip:
        vis = full.clip(clip)
        if vis.w <= 0 or vis.h <= 0:
            return None
        key = (id(job), job.ticks, job.cancelled, len(job.centers), alpha, int((job.labels >= 0).sum()),
               int((job.labels == ins.DIVERGED).sum()))
        if _basin_cache["key"] != key:
            _basin_cache["key"] = key
            _basin_cache["surface"] = basin_surface(job.labels, alpha)
        small = _basin_cache["surface"]
        # grid cells that cover the visible part, and where they land on screen
        cw, ch = (right - left) / gx, (bottom - top) / gy
        i0 = max(int(math.floor((vis.x - left) / cw)), 0)
        i1 = min(int(math.ceil((vis.right - left) / cw)), gx)
        j0 = max(int(math.floor((vis.y - top) / ch)), 0)
        j1 = min(int(math.ceil((vis.bottom - top) / ch)), gy)
        if i1 <= i0 or j1 <= j0:
            return None
        dx0, dy0 = int(round(left + i0 * cw)), int(round(top + j0 * ch))
        dx1, dy1 = int(round(left + i1 * cw)), int(round(top + j1 * ch))
        if (dx1 - dx0) <= 2 * vis.w + 256 and (dy1 - dy0) <= 2 * vis.h + 256:
            cells = (i0, j0, i1 - i0, j1 - j0)
            size = (max(dx1 - dx0, 1), max(dy1 - dy0, 1))
            if _basin_cache.get("scaled_key") != (key, cells, size):
                # bilinear: basin borders come out soft instead of in cell-sized steps
                sub = small.subsurface(pygame.Rect(cells))
                try:
                    scaled = pygame.transform.smoothscale(sub, size)
                except (ValueError, pygame.error):
                    scaled = pygame.transform.scale(sub, size)
                _basin_cache["scaled_key"], _basin_cache["scaled"] = (key, cells, size), scaled
            surface.blit(_basin_cache["scaled"], (dx0, dy0))
        else:  # cells much larger than the screen: look each visible pixel's cell up directly
            i = np.clip(((vis.x + np.arange(vis.w) + 0.5 - left) / cw).astype(np.int64), 0, gx - 1)
            j = np.clip(((vis.y + np.arange(vis.h) + 0.5 - top) / ch).astype(np.int64), 0, gy - 1)
            rgba = basin_colors(job.labels[:, ::-1][i[:, None], j[None, :]], alpha)
            patch = pygame.Surface(vis.size, pygame.SRCALPHA, 32)
            px = pygame.surfarray.pixels3d(patch)
            px[...] = rgba[..., :3]
            del px
            pa = pygame.surfarray.pixels_alpha(patch)
            pa[...] = rgba[..., 3]
            del pa
            surface.blit(patch, vis.topleft)
    return full


def draw_progress_bar(surface: pygame.Surface, rect: pygame.Rect, progress: float,
                      font: pygame.font.Font | None = None, label: str = "") -> None:
    """A panel with a bar filled to `progress` in [0, 1] and "label 42%" on it."""
    rect = pygame.Rect(rect)
    p = float(progress) if math.isfinite(float(progress)) else 0.0
    p = min(max(p, 0.0), 1.0)
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        bar = rect.inflate(-2 * 4, -2 * 4)
        if bar.w <= 0 or bar.h <= 0:
            return
        pygame.draw.rect(surface, GRID, bar, width=1)
        fill = pygame.Rect(bar.x + 1, bar.y + 1, int(round((bar.w - 2) * p)), bar.h - 2)
        if fill.w > 0:
            surface.fill(ACCENT, fill)
        if font is not None:
            text = f"{label} {int(p * 100)}%".strip()
            s = render_text(font, text, TEXT)
            back = render_text(font, text, (0, 0, 0))
            pos = (bar.centerx - s.get_width() // 2, bar.centery - s.get_height() // 2)
            surface.blit(back, (pos[0] + 1, pos[1] + 1))
            surface.blit(s, pos)


# ================================================================================================
# Heat
# ================================================================================================

def heat_temperature(world) -> float | None:
    """Temperature of the first langevin rule with alive balls (None when there is none)."""
    p = world.particles
    alive_rules = set(np.unique(p.rule[p.status == ALIVE]).tolist())
    for rid, r in enumerate(world.rules):
        if r.name == "langevin" and rid in alive_rules:
            return r.temperature
    return None


def chi_square(observed: np.ndarray, predicted: np.ndarray, edges: np.ndarray, n: int
               ) -> tuple[float, int]:
    """(chi^2, bins used) of the observed against the predicted densities for n balls, over the
    bins where at least HEAT_MIN_EXPECTED balls are expected; (nan, 0) when none qualifies."""
    width = np.diff(edges)
    with np.errstate(all="ignore"):
        exp_ = predicted * width * n
        obs = observed * width * n
        use = np.isfinite(exp_) & np.isfinite(obs) & (exp_ >= HEAT_MIN_EXPECTED)
        if not use.any():
            return math.nan, 0
        return float(((obs[use] - exp_[use]) ** 2 / exp_[use]).sum()), int(use.sum())


def draw_heat_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                    view: Sequence[float] | None = None, bins: int | np.ndarray = HEAT_BINS
                    ) -> list[pygame.Rect]:
    """Histogram of V over the langevin balls (bars) against the Boltzmann density of V (curve),
    with T, the ball count and chi^2 per bin. Returns the bar rects (one per bin, possibly
    zero height)."""
    rect = pygame.Rect(rect)
    bars: list[pygame.Rect] = []
    with _Clip(surface, rect):
        draw_panel(surface, rect)
        w = _Writer(surface, rect, font)
        T = heat_temperature(world)
        if T is None:
            w.row(("heat", ACCENT), ("  no langevin balls", DIM))
            w.wrapped("switch the rule to langevin to watch exp(−V/T) arrive")
            return bars
        vals = ins.heat_values(world)
        edges, obs, pred = ins.boltzmann_histogram(vals, world.potential, T,
                                                   view or world.potential.view, bins)
        chi2, used = chi_square(obs, pred, edges, int(np.isfinite(vals).sum()))
        above = int(np.count_nonzero(vals > edges[-1]))  # not yet down in the thermal range
        w.row(("heat", ACCENT), (f"  T = {fmt(T)}   n = {len(vals)}", TEXT),
              (f"   {above} above the range" if above else "", DIM))
        surface.fill(HEAT_BAR, pygame.Rect(w.x0, w.y + (w.line_h - CHIP) // 2, CHIP, CHIP))
        w.x0 += CHIP + 4
        w.row(("balls", HEAT_BAR), ("   — exp(−V/T)", HEAT_CURVE),
              (f"   χ²/bin = {fmt(chi2 / used if used else math.nan, 3)}", DIM))
        w.x0 -= CHIP + 4
        label_h = font.get_linesize()
        plot = pygame.Rect(rect.x + PAD, w.y + 2, rect.w - 2 * PAD, rect.bottom - PAD - label_h - w.y - 2)
        if plot.h < 8 or plot.w < 8:
            return bars
        pygame.draw.rect(surface, GRID, plot, width=1)
        inner = plot.inflate(-4, -4)
        both = np.concatenate([obs[np.isfinite(obs)], pred[np.isfinite(pred)], np.zeros(1)])
        top = float(both.max()) if both.max() > 0 else 1.0
        nb = len(obs)
        xs = inner.x + np.round(np.linspace(0, inner.w, nb + 1)).astype(int)
        for i in range(nb):
            h = obs[i] / top * inner.h if math.isfinite(obs[i]) else 0.0
            h = int(round(min(max(h, 0.0), inner.h)))
            bar = pygame.Rect(int(xs[i]), inner.bottom - h, max(int(xs[i + 1] - xs[i]) - 1, 1), h)
            if h > 0:
                surface.fill(HEAT_BAR, bar)
            bars.append(bar)
        if np.isfinite(pred).any():
            cx = 0.5 * (xs[:-1] + xs[1:])
            cy = inner.bottom - np.clip(pred / top, 0, 1) * inner.h
            ok = np.isfinite(cy)
            pts = list(zip(cx[ok].tolist(), cy[ok].tolist()))
            if len(pts) >= 2:
                pygame.draw.lines(surface, HEAT_CURVE, False, pts, 2)
        lo = render_text(font, f"V = {fmt(edges[0], 3)}", DIM)
        hi = render_text(font, fmt(edges[-1], 3), DIM)
        surface.blit(lo, (plot.x, plot.bottom + 1))
        surface.blit(hi, (plot.right - hi.get_width(), plot.bottom + 1))
    return bars
