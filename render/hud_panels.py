"""The HUD's own text panels: what is running (landscape, rule, balls, clock) and the ball in
focus (position, V, |∇V|, energy) with the live plot of mean V and mean E."""
from __future__ import annotations

import numpy as np
import pygame

from render import hud
from render.balls import RULE_COLORS
from sim.quantity import kinetic_energy
from sim.runtime import Runtime, time_scale_label


def info_lines(runtime: Runtime, fps: float | None) -> list[hud.Line]:
    """The top-left panel: landscape (and formula), rule and parameters, balls, clock."""
    w = runtime.world
    alive, diverged = w.counts()
    r = w.rule
    undefined = w.n_undefined()  # stopped where V or grad V is not finite
    count = [(f"{alive:,} ball{'s' if alive != 1 else ''}" + (" alive" if diverged or undefined else ""),
              "body", hud.TEXT)]
    if diverged:
        count.append((f"   {diverged:,} diverged", "body", hud.WARN))
    if undefined:
        count.append((f"   {undefined:,} undefined", "body", hud.WARN))
    clock = (f"t = {hud.fmt(w.time, 5)}    tick {w.tick_count:,}" if r.newtonian
             else f"tick {w.tick_count:,}")
    timeline = [(f"{clock}    time {time_scale_label(runtime.time_scale)}", "body", hud.TEXT)]
    boost = runtime.dt_boost()
    if boost > 1.0:  # the mass control's smaller dt, made up with more ticks a second
        timeline.append((f"  ({boost:.3g}× ticks: small dt)", "body", hud.DIM))
    if runtime.paused:
        timeline.append(("    PAUSED", "body", hud.ACCENT))
    if fps is not None:
        timeline.append((f"    {fps:.0f} fps", "body", hud.DIM))
    formula = w.potential.formula
    lines = [hud.Line([(w.potential.name, "title", hud.TEXT)])]
    if formula:
        lines.append(hud.Line([(f"V = {formula}", "small", hud.DIM)]))
    lines += [
        hud.Line([("● ", "body", RULE_COLORS.get(r.name, hud.TEXT)),
                  (r.label().replace("  ", "   "), "body", hud.TEXT)]),
        hud.Line(count),
        hud.Line(timeline),
    ]
    return lines


MAP_MOUSE_HINT = "click: drop a ball   drag: throw   shift+click: 200"


def ball_lines(runtime: Runtime, k: int | None, hovered: bool,
               hint: str = MAP_MOUSE_HINT) -> list[hud.Line]:
    """The bottom-right panel's text: ball k (under the cursor or last dropped), or with no
    ball `hint` (what the mouse does where it is), then the plot's legend."""
    w = runtime.world
    lines: list = []
    if k is None:
        lines.append(hud.Line([(hint, "small", hud.DIM)]))
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
        lines.append(hud.Line([(f"ball #{k}  ", "body", hud.TEXT), (which, "small", hud.DIM)]
                              + ([(f"   {state}", "small", hud.WARN)] if state else [])))
        nx, ny = w.potential.axis_names or ("x", "y")  # a model's parameters
        lines.append(hud.Line([(f"{nx} = {hud.fmt(pos[0, 0])}    {ny} = {hud.fmt(pos[0, 1])}",
                                "body", hud.TEXT)]))
        lines.append(hud.Line([(f"V = {hud.fmt(v)}    |∇V| = {hud.fmt(float(np.hypot(*g)))}",
                                "body", hud.TEXT)]))
        if ke is not None:
            lines.append(hud.Line([(f"KE = {hud.fmt(ke)}    E = V + KE = {hud.fmt(v + ke)}",
                                    "body", hud.TEXT)]))
        else:
            lines.append(hud.Line([(f"step = {hud.fmt(float(np.hypot(*vel)))} per tick",
                                    "body", hud.TEXT)]))
    legend = [("━ mean V", "small", hud.LOSS_COLOR)]
    if any(r.newtonian for r in w.rules):
        legend.append(("    ━ mean E", "small", hud.ENERGY_COLOR))
    lines.append(hud.Line(legend))
    return lines


def draw_ball_panel(surface: pygame.Surface, h: hud.Hud, runtime: Runtime, history: hud.History,
                    k: int | None, hovered: bool, mouse: tuple[int, int] | None = None,
                    hint: str = MAP_MOUSE_HINT) -> None:
    """The ball panel in the bottom-right corner, its plot under the text; the exact sample
    under the mouse when it is over the plot."""
    W, Hh = surface.get_size()
    M = hud.MARGIN
    pw, ph = hud.PLOT_SIZE
    rect = h.text_panel(surface, ball_lines(runtime, k, hovered, hint), "bottomright", (W - M, Hh - M),
                        min_width=pw + 56, extra=ph + 8)
    plot = pygame.Rect(rect.x + hud.PAD, rect.bottom - hud.PAD - ph, pw, ph)
    newt = any(r.newtonian for r in runtime.world.rules)
    h.plot(surface, history, plot, newt)
    if mouse is not None and plot.collidepoint(mouse):
        draw_plot_hover(surface, h, history, plot, mouse[0], newt, runtime.world.rule.newtonian)


def plot_sample_at(history: hud.History, plot: pygame.Rect, x: int) -> np.ndarray | None:
    """The (t, mean V, mean E) sample the plot draws at pixel column x (its points are spread
    evenly from plot.x + 2 to plot.right - 2), or None."""
    data = history.series()
    n = len(data)
    if n < 2:
        return None
    i = int(round((x - plot.x - 2) / max(plot.w - 4, 1) * (n - 1)))
    return data[min(max(i, 0), n - 1)]


def draw_plot_hover(surface: pygame.Surface, h: hud.Hud, history: hud.History, plot: pygame.Rect,
                    x: int, energy: bool, timed: bool) -> None:
    sample = plot_sample_at(history, plot, x)
    if sample is None:
        return
    pygame.draw.line(surface, hud.DIM, (x, plot.y), (x, plot.bottom))
    clock = f"t = {hud.fmt(sample[0], 5)}" if timed else f"tick {int(round(sample[0])):,}"
    text = f"{clock}   V = {hud.fmt(sample[1])}" + (f"   E = {hud.fmt(sample[2])}" if energy else "")
    f = h.fonts
    s = f.text(text, f.small, hud.TEXT)
    box = pygame.Rect(0, 0, s.get_width() + 8, s.get_height() + 4)
    box.bottomleft = (plot.x, plot.y - 2)
    pygame.draw.rect(surface, (12, 13, 22), box, border_radius=3)
    surface.blit(s, (box.x + 4, box.y + 2))
