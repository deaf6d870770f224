"""The instrument panels, drawn: race legend, bridge, energy ledger, stability, basin overlay
with its progress bar, heat histogram. Each `draw_*` function draws one instrument into a
`pygame.Surface` inside a `pygame.Rect` from the numbers of sim/instruments.py: it reads the
world, never changes it, and never draws outside the rect. Non-finite numbers are written "—".
`LedgerHistory` keeps the ledger's totals for its plot; the basin overlay caches its last
picture per job and progress.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pygame

from render import widgets
from render.hud import Ring, fmt
from render.theme import (  # noqa: F401 (the colours and spacing are read here by others)
    ACCENT, BASIN_DIVERGED_RGBA, BASIN_MOVING_RGBA, BASIN_PALETTE, DIM, GRID, HEAT_BAR, HEAT_CURVE,
    LEDGER_COLORS, LINE_GAP, PANEL_EDGE_RGBA, PANEL_RADIUS, PANEL_RGBA, RULE_COLORS, STATUS_COLORS,
    TEXT, TEXT_SHADOW)
from render.theme import PANEL_PAD as PAD
from render.widgets import (  # noqa: F401 (old names, read here by others)
    clip, clip as _Clip, draw_panel, fit_text, rgba_surface, smooth_scale, text as render_text)
from sim import instruments as ins
from sim import readouts as R

DASH = "—"
CHIP = 9  # pixels: the square status chip beside a metric


LEDGER_SERIES = ("kinetic", "potential", "dissipated", "drift")
LEDGER_HISTORY = 360  # samples in the ledger plot

HEAT_BINS = ins.HEAT_BINS
HEAT_MIN_EXPECTED = 5.0  # bins with fewer expected balls stay out of the chi-square

BASIN_ALPHA = 110  # opacity of a basin's shade (0-255)


# ================================================================================================
# Small helpers
# ================================================================================================

@contextmanager
def _panel_writer(surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font
                  ) -> Iterator["_Writer"]:
    """Clip to rect, draw the panel background, and yield a writer for its rows."""
    with clip(surface, rect):
        draw_panel(surface, rect)
        yield _Writer(surface, rect, font)


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
            s = widgets.text(self.font, text, color)
            self.surface.blit(s, (x, top))
            x += s.get_width()
        self.y += self.line_h + LINE_GAP
        return top

    def wrapped(self, text: str, color: tuple[int, int, int] = DIM) -> None:
        """A paragraph wrapped to the rect's width (widgets.wrapped_lines)."""
        for line in widgets.wrapped_lines(self.font, text, self.x1 - self.x0):
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
                     twins: dict[int, int] | None = None,
                     rates: dict[int, dict[str, float]] | None = None,
                     last: dict[int, int] | None = None) -> list[dict]:
    """One row per rule that has balls: its color, name and parameters, and the current loss
    of its most recent ball (diverged balls: "diverged"); the leader is marked. `twins` maps a
    twin rule's id to the id of the lane whose balls it follows: such a rule is not a lane of
    its own but an indented "twin:" row under its lane, with a ring (as on the map). `rates`
    (sim.race_rates.lane_rates): every lane the meter follows gets a rate row (rate_text).
    `last`: ins.last_ball_per_rule(world) when the caller has it."""
    rect = pygame.Rect(rect)
    with _panel_writer(surface, rect, font) as w:
        # rows are indented 14 px by their colour dot; keep room for the widest loss
        loss_col = rect.w - 2 * PAD - 14 - font.size("−0.000e−00 best")[0]
        w.row(("race", ACCENT), ("loss V", DIM), col=(loss_col + 14,))
        entries = R.race_readout(world, twins, rates, last)
        if not entries:
            w.row(("click to drop one ball per rule", DIM))
            return entries
        for e in entries:
            rid, twin = e["rule_id"], e["twin"]
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
            loss = "diverged" if e["diverged"] else fmt(e["loss"])
            lead = e["leader"]
            tone = ACCENT if lead else (DIM if twin else TEXT) if not e["diverged"] else STATUS_COLORS["bad"]
            label = f"twin {_short_label(rule, integrator=False)}" if twin else _short_label(rule)
            label = fit_text(font, label, loss_col - indent - 6)  # never into the loss column
            w.row((label, TEXT if dark else color), (loss + (" best" if lead else ""), tone),
                  col=(loss_col - indent,))
            if e.get("rate_status"):
                w.row((rate_text(e["rate"], e["rate_theory"], e["rate_status"]), DIM))
            w.x0 -= 14 + indent
    return entries


def rate_text(rate: float, theory: float, status: str = "measured") -> str:
    """The race legend's rate row: "rate 0.99501/tick (theory 0.99501)" (1 − rate to three
    significant digits, sim.race_rates.rate_digits), "rate measuring… (theory 0.667)" until
    the measurement is stable, "no steady rate yet" or "at the rounding floor" where it cannot
    tell; the theory only where it is exact."""
    from sim.race_rates import rate_digits

    if status == "measured" and math.isfinite(rate):
        text = f"rate {rate:.{rate_digits(rate)}f}/tick"
    else:
        text = {"unsteady": "no steady rate yet", "floor": "rate: at the rounding floor"}.get(
            status, "rate measuring…")
    if math.isfinite(theory):
        text += f" (theory {theory:.{rate_digits(theory)}f})"
    return text


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
    batch = f" B={rule.batch}" if rule.batch else ""  # a minibatch lane
    sched = f" {rule.schedule}" if getattr(rule, "schedule", "constant") != "constant" else ""
    return _rule_label(rule, integrator) + batch + sched


def _rule_label(rule, integrator: bool) -> str:
    if rule.name == "nesterov_ode":
        return f"nesterov_ode dt={fmt(rule.dt, 3)}"
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
                      pairs: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The current rule's other side of the bridge, live (sim.readouts.bridge_readout):
    optimizer (lr, β) <-> Newton (dt, m, γ), a one-line explanation, and (given pairs of ball /
    twin rows) the largest gap between them. Returns the readout drawn."""
    rect = pygame.Rect(rect)
    b = R.bridge_readout(world, pairs)
    with _panel_writer(surface, rect, font) as w:
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
            name = b["twin"] or "momentum"
            color = RULE_COLORS.get(name, TEXT) if b["valid"] else STATUS_COLORS["bad"]
            verlet = b["integrator"] == "verlet"
            lr_f = "(1+β)·dt²/2m" if verlet else "dt²/m"
            beta_f = "exp(−γ·dt/m)" if verlet else "1 − γ·dt/m"
            w.row((f"{name} twin", color), (f"lr = {lr_f} = {fmt(b['lr'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"β = {beta_f} = {fmt(b['beta'])}", TEXT), col=tab)
        else:
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)), ("no twin", DIM), col=tab)
        if pairs is not None and len(pairs[0]) and len(pairs[0]) == len(pairs[1]):
            w.row(("twin gap", DIM), (f"max |x − x_twin| = {fmt(b['gap'], 3)}", TEXT), col=tab)
        w.space(2)
        w.wrapped(b["text"])
    return b


def twin_gap(world, pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest distance between a ball and its twin (alive pairs; nan when none)."""
    return R.twin_gap(world, pairs)


_twin_gap = twin_gap  # the old name, read by render/instruments_ui.py


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


def line_plot_index(rect: pygame.Rect, count: int, x: int) -> int | None:
    """The sample of a `draw_line_plot` of `count` samples in rect drawn at pixel column x
    (its points sit at inner.x + i·(inner.w − 1)/(count − 1), inner = rect less 2 px a side),
    or None when there is none."""
    if count < 1:
        return None
    inner = pygame.Rect(rect).inflate(-4, -4)
    i = int(round((x - inner.x) / max(inner.w - 1, 1) * max(count - 1, 1)))
    return min(max(i, 0), count - 1)


def _draw_ledger_hover(surface: pygame.Surface, plot: pygame.Rect, font: pygame.font.Font,
                       series: np.ndarray, x: int) -> np.ndarray | None:
    """The sample under column x of the ledger plot: a cursor line and its exact values (time,
    kinetic, potential, dissipated, drift) in a box over the plot. Returns the sample."""
    i = line_plot_index(plot, len(series), x)
    if i is None:
        return None
    sample = series[i]
    pygame.draw.line(surface, DIM, (x, plot.y + 1), (x, plot.bottom - 2))
    parts = [(f"t {fmt(sample[0], 5)}", TEXT)] + [
        (f"{k[0].upper() if k != 'drift' else 'drift'} {fmt(v)}", LEDGER_COLORS[k])
        for k, v in zip(LEDGER_SERIES, sample[1:])]
    texts = [widgets.text(font, t, c) for t, c in parts]
    gap = 8
    rows, row, width = [], [], 0
    for s in texts:  # wrap the parts into as many rows as the plot's width needs
        if row and width + gap + s.get_width() > plot.w - 8:
            rows.append(row)
            row, width = [], 0
        width += (gap if row else 0) + s.get_width()
        row.append(s)
    rows.append(row)
    lh = font.get_linesize()
    box = pygame.Rect(plot.x + 1, plot.y + 1, plot.w - 2, len(rows) * lh + 4)
    pygame.draw.rect(surface, (12, 13, 22), box)
    for r, row in enumerate(rows):
        cx = box.x + 4
        for s in row:
            surface.blit(s, (cx, box.y + 2 + r * lh))
            cx += s.get_width() + gap
    return sample


def draw_ledger_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                      history: LedgerHistory | None = None, rows: Any = None,
                      everyone: dict | None = None, mouse: tuple[int, int] | None = None) -> dict:
    """Kinetic, potential, dissipated, drift for the selected ball (rows) and for all balls, and
    the history as a plot. Optimizer balls have no mass: their columns read "—". `everyone`:
    the all-balls totals when the caller has them for this very state (saves a second pass).
    With the mouse over the plot, the exact sample under it (returned as led["hover"])."""
    rect = pygame.Rect(rect)
    with _panel_writer(surface, rect, font) as w:
        led = R.ledger_readout(world, rows, everyone)
        everyone, sel = led["all"], led["ball"]
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
                if mouse is not None and plot.collidepoint(mouse):
                    led = dict(led, hover=_draw_ledger_hover(surface, plot, font, s, mouse[0]))
    return led


# ================================================================================================
# Stability
# ================================================================================================

STABILITY_ROWS = 7  # rows the stability panel writes at most (the layout reserves them)


def stability_rows(world, row: int | None = None, point: Sequence[float] | None = None
                   ) -> tuple[Any, np.ndarray] | None:
    """(rule, position [1, 2]) that the stability panel reads: the ball at `row` under its own
    rule, else `point` under the current rule; None when neither is given."""
    return R.stability_target(world, row, point)


def draw_stability_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                         row: int | None = None, point: Sequence[float] | None = None) -> dict | None:
    """The exact stability of the step at the ball under the cursor (sim.readouts.
    stability_readout): λmax, λmin, the ratio in each direction against its stable interval,
    the friction number where it has a limit, the verdict and the discrete regime with its
    critical value. Returns the readout drawn (or None)."""
    rect = pygame.Rect(rect)
    with _panel_writer(surface, rect, font) as w:
        r = R.stability_readout(world, row, point)
        w.row(("stability", ACCENT), (f"  {r['rule']}" if r else "", DIM))
        if r is None:
            w.row(("hover over a ball", DIM))
            return None
        name = r["ratio_name"] or "lr·λ"
        lw = font.size(f"{name} max")[0] + 20  # after the chip: a long ratio name widens the columns
        tab = (max(74, lw), max(150, lw + 76))
        lam, lam_min = r["lambda_max"], r["lambda_min"]
        w.row(("λmax", TEXT), (fmt(lam), TEXT), (f"λmin {fmt(lam_min)}", DIM),
              chip="ok" if lam > 0 else "n/a", col=tab)
        for k, lam_k in (("max", lam), ("min", lam_min)):
            if k == "min" and not lam_min >= 0:
                w.row((f"{name} min", TEXT), (DASH, TEXT), ("falls away: any step", DIM),
                      chip="n/a", col=tab)
                continue
            w.row((f"{name} {k}", TEXT), (fmt(r[f"ratio_{k}"]), TEXT),
                  (_interval_text(r["limit_lo"], r["limit_hi"]), DIM), chip=r[f"status_{k}"], col=tab)
        if math.isfinite(r["c_limit"]):
            bad = not r["c"] < r["c_limit"]
            w.row(("γ·dt/m", TEXT), (fmt(r["c"]), TEXT), (f"stable < {fmt(r['c_limit'], 3)}", DIM),
                  chip="bad" if bad else "ok", col=tab)
        verdict = r["verdict"]
        chip = {"stable": "ok", "unstable": "bad"}.get(verdict, "n/a")
        note = "adaptive: no fixed region" if verdict == "n/a" and r["rule"] in ("adagrad", "rmsprop", "adam") else ""
        w.row(("step", TEXT), (verdict, STATUS_COLORS[chip]), (note, DIM), chip=chip, col=tab)
        w.row(("regime", TEXT), (r["regime"], TEXT), (_critical_text(name, r["critical"]), DIM),
              col=tab)
        return r


def _interval_text(lo: float, hi: float) -> str:
    if not math.isfinite(hi):
        return "no fixed limit"
    if hi <= lo or hi <= 0.0:  # e.g. explicit Euler without friction
        return "unstable at any step"
    if lo > 0.0:
        return f"stable in ({fmt(lo, 3)}, {fmt(hi, 3)})"
    return f"stable < {fmt(hi, 3)}"


def _critical_text(name: str, critical: Sequence[float]) -> str:
    if not critical:
        return ""
    return "changes at " + name + " = " + ", ".join(fmt(c, 3) for c in critical)


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
    return rgba_surface(basin_colors(labels[:, ::-1], alpha))  # y flipped to screen order


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
    with clip(surface, surface.get_rect()) as area:
        vis = full.clip(area)
        if vis.w <= 0 or vis.h <= 0:
            return None
        # the job itself (held by the cache, so no other job can be taken for it), its progress
        key = (job, job.ticks, job.cancelled, len(job.centers), alpha, int((job.labels >= 0).sum()),
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
                scaled = smooth_scale(sub, size)
                _basin_cache["scaled_key"], _basin_cache["scaled"] = (key, cells, size), scaled
            surface.blit(_basin_cache["scaled"], (dx0, dy0))
        else:  # cells much larger than the screen: look each visible pixel's cell up directly
            i = np.clip(((vis.x + np.arange(vis.w) + 0.5 - left) / cw).astype(np.int64), 0, gx - 1)
            j = np.clip(((vis.y + np.arange(vis.h) + 0.5 - top) / ch).astype(np.int64), 0, gy - 1)
            patch = rgba_surface(basin_colors(job.labels[:, ::-1][i[:, None], j[None, :]], alpha))
            surface.blit(patch, vis.topleft)
    return full


def draw_progress_bar(surface: pygame.Surface, rect: pygame.Rect, progress: float,
                      font: pygame.font.Font | None = None, label: str = "") -> None:
    """A panel with a bar filled to `progress` in [0, 1] and "label 42%" on it."""
    rect = pygame.Rect(rect)
    p = float(progress) if math.isfinite(float(progress)) else 0.0
    p = min(max(p, 0.0), 1.0)
    with clip(surface, rect):
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
            s = widgets.text(font, text, TEXT)
            back = widgets.text(font, text, TEXT_SHADOW)
            pos = (bar.centerx - s.get_width() // 2, bar.centery - s.get_height() // 2)
            surface.blit(back, (pos[0] + 1, pos[1] + 1))
            surface.blit(s, pos)


# ================================================================================================
# Heat
# ================================================================================================

def heat_temperature(world) -> float | None:
    """The heat panel's temperature (sim.readouts.heat_temperature; None: no langevin ball)."""
    return R.heat_temperature(world)


def chi_square(observed: np.ndarray, predicted: np.ndarray, edges: np.ndarray, n: int
               ) -> tuple[float, int]:
    """(chi^2, bins used): sim.readouts.chi_square."""
    return R.chi_square(observed, predicted, edges, n)


def draw_heat_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                    view: Sequence[float] | None = None, bins: int | np.ndarray = HEAT_BINS
                    ) -> list[pygame.Rect]:
    """Histogram of V over the langevin balls at the panel's temperature (bars; balls at other
    temperatures or under other rules are left out, and counted) against the Boltzmann density
    of V (curve), with T and chi^2 per bin: sim.readouts.heat_readout. Returns the bar rects
    (one per bin, possibly zero height)."""
    rect = pygame.Rect(rect)
    bars: list[pygame.Rect] = []
    with _panel_writer(surface, rect, font) as w:
        h = R.heat_readout(world, view, bins)
        T = h["temperature"]
        if T is None:
            w.row(("heat", ACCENT), ("  no langevin balls", DIM))
            w.wrapped("switch the rule to langevin to watch exp(−V/T) arrive")
            return bars
        edges, obs, pred = (np.asarray(h[k], dtype=np.float64) for k in ("edges", "histogram", "prediction"))
        chi2 = h["chi2_per_bin"]
        above = h["above"]
        out = f"   {h['left_out']} left out" if h["left_out"] else ""
        w.row(("heat", ACCENT), (f"  T = {fmt(T)}   n = {h['counted']}", TEXT),
              (out + (f"   {above} above" if above else ""), DIM))
        surface.fill(HEAT_BAR, pygame.Rect(w.x0, w.y + (w.line_h - CHIP) // 2, CHIP, CHIP))
        w.x0 += CHIP + 4
        w.row(("balls", HEAT_BAR), ("   — exp(−V/T)", HEAT_CURVE),
              (f"   χ²/bin = {fmt(chi2, 3)}", DIM))
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
        lo = widgets.text(font, f"V = {fmt(edges[0], 3)}", DIM)
        hi = widgets.text(font, fmt(edges[-1], 3), DIM)
        surface.blit(lo, (plot.x, plot.bottom + 1))
        surface.blit(hi, (plot.right - hi.get_width(), plot.bottom + 1))
    return bars
