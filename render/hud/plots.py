"""The HUD's own text panels: what is running (landscape, rule, balls, clock) and the ball in
focus (position, V, |∇V|, energy) with the live plot of mean V and mean E."""
from __future__ import annotations

import numpy as np
import pygame

from render.look.theme import ACCENT, DIM, ENERGY_COLOR, LOSS_COLOR, MARGIN, PAD, TEXT, WARN
from render.hud.basics import History, Line, PLOT_SIZE
from render.hud.hud import Hud
from sim.support.text import fmt
from render.look.theme import RULE_COLORS
from sim.core.quantity import kinetic_energy
from sim.runtime.runtime import Runtime, time_scale_label


def info_lines(runtime: Runtime, fps: float | None) -> list[Line]:
    """The top-left panel: landscape (and formula), rule and parameters, balls, clock."""
    w = runtime.world
    alive, diverged = w.counts()
    r = w.rule
    undefined = w.n_undefined()  # stopped where V or grad V is not finite
    count = [(f"{alive:,} ball{'s' if alive != 1 else ''}" + (" alive" if diverged or undefined else ""),
              "body", TEXT)]
    if diverged:
        count.append((f"   {diverged:,} diverged", "body", WARN))
    if undefined:
        count.append((f"   {undefined:,} undefined", "body", WARN))
    clock = (f"t = {fmt(w.time, 5)}    tick {w.tick_count:,}" if r.newtonian
             else f"tick {w.tick_count:,}")
    timeline = [(f"{clock}    time {time_scale_label(runtime.time_scale)}", "body", TEXT)]
    boost = runtime.params.dt_boost()
    if boost > 1.0:  # the mass control's smaller dt, made up with more ticks a second
        timeline.append((f"  ({boost:.3g}× ticks: small dt)", "body", DIM))
    if runtime.paused:
        timeline.append(("    PAUSED", "body", ACCENT))
    if fps is not None:
        timeline.append((f"    {fps:.0f} fps", "body", DIM))
    formula = w.potential.formula
    lines = [Line([(w.potential.name, "title", TEXT)])]
    if formula:
        lines.append(Line([(f"V = {formula}", "small", DIM)]))
    lines += [
        Line([("● ", "body", RULE_COLORS.get(r.name, TEXT)),
                  (r.label().replace("  ", "   "), "body", TEXT)]),
        Line(count),
        Line(timeline),
    ]
    return lines


MAP_MOUSE_HINT = "click: drop a ball   drag: throw   shift+click: 200"


def ball_lines(runtime: Runtime, k: int | None, hovered: bool,
               hint: str = MAP_MOUSE_HINT) -> list[Line]:
    """The bottom-right panel's text: ball k (under the cursor or last dropped), or with no
    ball `hint` (what the mouse does where it is), then the plot's legend."""
    w = runtime.world
    lines: list = []
    if k is None:
        lines.append(Line([(hint, "small", DIM)]))
    else:
        p = w.particles
        pos = p.pos[k:k + 1]
        rule = w.rules[int(p.rule[k])]
        v = float(w.potential.value(pos)[0])
        g = w.potential.grad(pos)[0]
        vel = p.vel[k] if rule.newtonian else (p.pos[k] - p.prev[k])
        ke = float(kinetic_energy(vel[None, :], rule.mass)[0]) if rule.newtonian else None
        which = "under the cursor" if hovered else "last dropped"
        state = ("", "diverged", "undefined: V not finite here")[int(p.status[k])]
        lines.append(Line([(f"ball #{k}  ", "body", TEXT), (which, "small", DIM)]
                              + ([(f"   {state}", "small", WARN)] if state else [])))
        nx, ny = w.potential.axis_names or ("x", "y")  # a model's parameters
        lines.append(Line([(f"{nx} = {fmt(pos[0, 0])}    {ny} = {fmt(pos[0, 1])}",
                                "body", TEXT)]))
        lines.append(Line([(f"V = {fmt(v)}    |∇V| = {fmt(float(np.hypot(*g)))}",
                                "body", TEXT)]))
        if ke is not None:
            lines.append(Line([(f"KE = {fmt(ke)}    E = V + KE = {fmt(v + ke)}",
                                    "body", TEXT)]))
        else:
            lines.append(Line([(f"step = {fmt(float(np.hypot(*vel)))} per tick",
                                    "body", TEXT)]))
    legend = [("━ mean V", "small", LOSS_COLOR)]
    if any(r.newtonian for r in w.rules):
        legend.append(("    ━ mean E", "small", ENERGY_COLOR))
    lines.append(Line(legend))
    return lines


def draw_ball_panel(surface: pygame.Surface, h: Hud, runtime: Runtime, history: History,
                    k: int | None, hovered: bool, mouse: tuple[int, int] | None = None,
                    hint: str = MAP_MOUSE_HINT) -> None:
    """The ball panel in the bottom-right corner, its plot under the text; the exact sample
    under the mouse when it is over the plot."""
    W, Hh = surface.get_size()
    M = MARGIN
    pw, ph = PLOT_SIZE
    rect = h.text_panel(surface, ball_lines(runtime, k, hovered, hint), "bottomright", (W - M, Hh - M),
                        min_width=pw + 56, extra=ph + 8)
    plot = pygame.Rect(rect.x + PAD, rect.bottom - PAD - ph, pw, ph)
    newt = any(r.newtonian for r in runtime.world.rules)
    h.plot(surface, history, plot, newt)
    if mouse is not None and plot.collidepoint(mouse):
        draw_plot_hover(surface, h, history, plot, mouse[0], newt, runtime.world.rule.newtonian)


def plot_sample_at(history: History, plot: pygame.Rect, x: int) -> np.ndarray | None:
    """The (t, mean V, mean E) sample the plot draws at pixel column x (its points are spread
    evenly from plot.x + 2 to plot.right - 2), or None."""
    data = history.series()
    n = len(data)
    if n < 2:
        return None
    i = int(round((x - plot.x - 2) / max(plot.w - 4, 1) * (n - 1)))
    return data[min(max(i, 0), n - 1)]


def draw_plot_hover(surface: pygame.Surface, h: Hud, history: History, plot: pygame.Rect,
                    x: int, energy: bool, timed: bool) -> None:
    sample = plot_sample_at(history, plot, x)
    if sample is None:
        return
    pygame.draw.line(surface, DIM, (x, plot.y), (x, plot.bottom))
    clock = f"t = {fmt(sample[0], 5)}" if timed else f"tick {int(round(sample[0])):,}"
    text = f"{clock}   V = {fmt(sample[1])}" + (f"   E = {fmt(sample[2])}" if energy else "")
    f = h.fonts
    s = f.text(text, f.small, TEXT)
    box = pygame.Rect(0, 0, s.get_width() + 8, s.get_height() + 4)
    box.bottomleft = (plot.x, plot.y - 2)
    pygame.draw.rect(surface, (12, 13, 22), box, border_radius=3)
    surface.blit(s, (box.x + 4, box.y + 2))
