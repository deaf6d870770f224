"""The HUD: the rule and its parameters, the ball under the cursor, the loss plot, the colourbar and axes, toasts."""
from __future__ import annotations

import numpy as np
import pygame

from sim.support.text import fmt
from render.look import colormap, widgets
from render.look.theme import ACCENT, COLORBAR_EDGE, DIM, ENERGY_COLOR, HUD_ROW_GAP, LABEL_BOX_RADIUS, LABEL_BOX_RGBA, LOSS_COLOR, MARGIN, PAD, PLOT_AXIS, SHADOW, TEXT, TICK
from render.look.view import View, format_tick, nice_ticks
from render.hud.basics import COLORBAR_SIZE, Fonts, History, LAYOUT_CACHE, Line, PLOT_LOG_RATIO, toast_lines


class Hud:
    """Lays out and draws every overlay. `panels` holds the rects drawn this frame (the axis
    labels keep out of them).

    Layouts are cached by what they show (the lines of a panel, the shading of the colourbar,
    the view and panels for the axes, the plot's data version), so a steady HUD only blits:
    the same blits, in the same order, as laying it out afresh would make.
    """

    def __init__(self, fonts: Fonts | None = None) -> None:
        self.fonts = fonts or Fonts()
        self.panels: list[pygame.Rect] = []
        self._bar_key: tuple | None = None
        self._bar: pygame.Surface | None = None
        self._layouts: dict[tuple, tuple] = {}

    def _layout(self, key: tuple, build) -> tuple:
        """The cached layout for key, built by build() on a miss."""
        got = self._layouts.get(key)
        if got is None:
            if len(self._layouts) > LAYOUT_CACHE:
                self._layouts.clear()
            got = self._layouts[key] = build()
        return got

    # -- text panels ---------------------------------------------------------------------
    def text_panel(self, surface: pygame.Surface, lines: list[Line], anchor: str,
                   xy: tuple[int, int], min_width: int = 0, extra: int = 0) -> pygame.Rect:
        """Draw lines in a panel; anchor is "topleft", "topright", "bottomleft", ...; `extra`
        pixels stay free at the bottom (for a plot)."""
        key = ("text", tuple(tuple(line.parts) for line in lines), anchor, tuple(xy),
               min_width, extra, self.fonts.system)
        rect, blits = self._layout(key, lambda: self._text_layout(lines, anchor, xy, min_width, extra))
        surface.blits(blits, doreturn=False)
        rect = rect.copy()
        self.panels.append(rect)
        return rect

    def _text_layout(self, lines: list[Line], anchor: str, xy: tuple[int, int], min_width: int,
                     extra: int) -> tuple[pygame.Rect, list]:
        f = self.fonts
        rows = []
        for line in lines:
            surfs = [f.text(t, f.role(role), col) for t, role, col in line.parts]
            w = sum(s.get_width() for s in surfs)
            h = max((s.get_height() for s in surfs), default=0)
            rows.append((surfs, w, h))
        width = max([min_width] + [w for _, w, _ in rows]) + 2 * PAD
        height = sum(h for _, _, h in rows) + 2 * PAD + HUD_ROW_GAP * max(len(rows) - 1, 0) + extra
        rect = pygame.Rect(0, 0, width, height)
        setattr(rect, anchor, xy)
        blits = [(widgets.panel(rect.size), rect.topleft)]
        y = rect.y + PAD
        for surfs, _, h in rows:
            x = rect.x + PAD
            for s in surfs:
                blits.append((s, (x, y + (h - s.get_height()))))
                x += s.get_width()
            y += h + HUD_ROW_GAP
        return rect, blits

    # -- colourbar -----------------------------------------------------------------------
    def colorbar(self, surface: pygame.Surface, shading, xy: tuple[int, int],
                 grey: bool = False) -> pygame.Rect:
        """A vertical viridis bar with V values, top right at xy (grey=True: the map is shown
        in grey under basin colours, and so is the bar)."""
        key = ("colorbar", shading, tuple(xy), self.fonts.system, grey)
        rect, first, outline, ticks, labels = self._layout(
            key, lambda: self._colorbar_layout(shading, xy, grey))
        surface.blits(first, doreturn=False)
        pygame.draw.rect(surface, COLORBAR_EDGE, outline, 1)
        # tick marks and labels never overlap (labels start 4 pixels right of the marks)
        for a, b in ticks:
            pygame.draw.line(surface, COLORBAR_EDGE, a, b)
        surface.blits(labels, doreturn=False)
        rect = rect.copy()
        self.panels.append(rect)
        return rect

    def _colorbar_layout(self, shading, xy: tuple[int, int], grey: bool = False) -> tuple:
        f = self.fonts
        bw, bh = COLORBAR_SIZE
        vals, pos = shading.ticks(6)
        labels = [f.text(fmt(v, 3), f.small, TEXT) for v in vals]
        title = f.text("V  (log scale)" if shading.log else "V", f.small, DIM)
        lw = max([s.get_width() for s in labels] + [0])
        width = max(bw + 8 + lw, title.get_width()) + 2 * PAD
        height = bh + title.get_height() + 6 + 2 * PAD + 6
        rect = pygame.Rect(0, 0, width, height)
        rect.topright = xy
        bx, by = rect.x + PAD, rect.y + PAD + title.get_height() + 6 + 3
        key = (bw, bh, grey)
        if self._bar_key != key:
            t = np.linspace(1.0, 0.0, bh)[None, :].repeat(bw, axis=0)
            rgb = colormap.apply(colormap.VIRIDIS, t)
            self._bar = widgets.rgb_surface(colormap.grey(rgb) if grey else rgb)
            self._bar_key = key
        first = [(widgets.panel(rect.size), rect.topleft), (title, (rect.x + PAD, rect.y + PAD)),
                 (self._bar, (bx, by))]
        outline = (bx - 1, by - 1, bw + 2, bh + 2)
        ticks, blits = [], []
        last_y = -100
        for s, p in sorted(zip(labels, pos), key=lambda sp: -sp[1]):
            ty = by + int(round((1.0 - p) * (bh - 1)))
            ticks.append(((bx + bw, ty), (bx + bw + 4, ty)))
            ly = ty - s.get_height() // 2
            if ly < last_y + s.get_height() - 2:
                continue  # would overlap the label above
            blits.append((s, (bx + bw + 8, ly)))
            last_y = ly
        return rect, first, outline, ticks, blits

    # -- axes ----------------------------------------------------------------------------
    def axes(self, surface: pygame.Surface, view: View, names: tuple[str, str] | None = None) -> None:
        """World-coordinate ticks along the bottom and left edges, clear of the panels; with
        `names` (a data landscape's parameters: w and b, ...) each axis carries its name."""
        key = ("axes", view, tuple(tuple(r) for r in self.panels), surface.get_size(),
               self.fonts.system, names)
        lines, blits, groups = self._layout(key, lambda: self._axes_layout(surface.get_rect(), view, names))
        for g_lines, g_blits in groups or [(lines, blits)]:
            for color, a, b, width in g_lines:
                pygame.draw.line(surface, color, a, b, width)
            surface.blits(g_blits, doreturn=False)

    def _axes_layout(self, screen: pygame.Rect, view: View,
                     names: tuple[str, str] | None = None) -> tuple[list, list, list | None]:
        """(lines, blits, None): every tick's shadow, mark, label box and label, drawn as all
        lines then all blits when no line touches a box (the usual case); else ([], [], groups)
        with one (lines, blits) group per tick, drawn tick by tick."""
        f = self.fonts
        x0, x1, y0, y1 = view.rect()
        w, h = view.w, view.h
        tx = nice_ticks(x0, x1, max(2, w // 110))
        ty = nice_ticks(y0, y1, max(2, h // 90))
        step_x = tx[1] - tx[0] if len(tx) > 1 else 1.0
        step_y = ty[1] - ty[0] if len(ty) > 1 else 1.0
        items = []
        for v in tx:
            px = int(round((v - view.cx) * view.scale + 0.5 * w))
            s = f.text(format_tick(v, step_x), f.small, TICK)
            r = s.get_rect(midbottom=(px, h - 11))
            items.append((s, r, ((px, h - 1), (px, h - 7))))
        for v in ty:
            py = int(round(0.5 * h - (v - view.cy) * view.scale))
            s = f.text(format_tick(v, step_y), f.small, TICK)
            r = s.get_rect(midleft=(12, py))
            items.append((s, r, ((0, py), (6, py))))
        groups = []
        if names:
            groups = self._axis_names(screen, view, names, tx, ty, [r for _, r, _ in items])
        for s, r, (a, b) in items:
            if not screen.contains(r) or r.collidelist(self.panels) >= 0:
                continue
            lines = [(SHADOW, (a[0] + 1, a[1] + 1), (b[0] + 1, b[1] + 1), 2), (TICK, a, b, 1)]
            box = r.inflate(6, 2)
            box.topleft = (r.x - 3, r.y - 1)
            blits = [(widgets.rounded_box((r.w + 6, r.h + 2), LABEL_BOX_RGBA, LABEL_BOX_RADIUS), box.topleft), (s, r.topleft)]
            groups.append((lines, blits, box.union(r)))
        all_lines = [ln for g in groups for ln in g[0]]
        all_blits = [bl for g in groups for bl in g[1]]
        reach = [pygame.Rect(min(a[0], b[0]) - 2, min(a[1], b[1]) - 2, abs(a[0] - b[0]) + 5,
                             abs(a[1] - b[1]) + 5) for _, a, b, _ in all_lines]
        if any(ln.colliderect(g[2]) for ln in reach for g in groups):
            return [], [], [(g[0], g[1]) for g in groups]
        return all_lines, all_blits, None

    def _axis_names(self, screen: pygame.Rect, view: View, names: tuple[str, str], tx, ty,
                    taken: list[pygame.Rect]) -> list:
        """The axes' names as label groups: the x name on the bottom edge halfway between two
        ticks, the rightmost place clear of the panels and the tick labels; the y name on the
        left edge, the topmost such place."""
        f = self.fonts
        w, h = view.w, view.h
        xs = [int(round((v - view.cx) * view.scale + 0.5 * w)) for v in tx]
        ys = [int(round(0.5 * h - (v - view.cy) * view.scale)) for v in ty]
        spots = ([("x", (a + b) // 2) for a, b in zip(xs[::-1][1:], xs[::-1])] + [("x", w - 60)],
                 [("y", (a + b) // 2) for a, b in zip(ys[::-1][1:], ys[::-1])] + [("y", 60)])
        groups = []
        for name, where in zip(names, spots):
            s = f.text(name, f.small, ACCENT)
            for axis, at in where:
                r = s.get_rect(midbottom=(at, h - 11)) if axis == "x" else s.get_rect(midleft=(12, at))
                box = pygame.Rect(r.x - 3, r.y - 1, r.w + 6, r.h + 2)
                if screen.contains(box) and box.collidelist(self.panels) < 0 and box.collidelist(taken) < 0:
                    taken.append(box)
                    groups.append(([], [(widgets.rounded_box(box.size, LABEL_BOX_RGBA, LABEL_BOX_RADIUS),
                                         box.topleft), (s, r.topleft)], box))
                    break
        return groups

    # -- plot ----------------------------------------------------------------------------
    def plot(self, surface: pygame.Surface, history: History, rect: pygame.Rect,
             show_energy: bool) -> None:
        """Mean V (and mean total energy) over sim time inside rect."""
        pygame.draw.line(surface, PLOT_AXIS, rect.bottomleft, rect.bottomright)
        pygame.draw.line(surface, PLOT_AXIS, rect.topleft, rect.bottomleft)
        key = ("plot", history.uid, history.version, len(history.data), tuple(rect),
               bool(show_energy), self.fonts.system)
        series, blits = self._layout(key, lambda: self._plot_layout(history, rect, show_energy))
        for color, pts in series:
            pygame.draw.aalines(surface, color, False, pts)
        surface.blits(blits, doreturn=False)

    def _plot_layout(self, history: History, rect: pygame.Rect, show_energy: bool) -> tuple[list, list]:
        """(series, blits): the polylines [(colour, points)] and the labels [(surface, xy)]."""
        data = history.series()
        if len(data) < 2:
            return [], []
        cols = [1, 2] if show_energy else [1]
        ys = data[:, cols]
        finite = np.isfinite(ys)
        if not finite.any():
            return [], []
        lo, hi = float(ys[finite].min()), float(ys[finite].max())
        log = lo > 0 and hi / lo > PLOT_LOG_RATIO  # a loss falling over decades reads better on log
        if log:
            ys = colormap.log_scale(np.where(finite, ys, np.nan))
            lo_t, hi_t = colormap.log_scale(lo), colormap.log_scale(hi)
        else:
            lo_t, hi_t = lo, hi
        if hi_t - lo_t < 1e-12 * max(1.0, abs(hi_t)):
            pad = 0.5 * max(abs(hi_t), 1e-9)
            lo_t, hi_t = lo_t - pad, hi_t + pad
        n = len(data)
        xs = rect.x + 2 + (rect.w - 4) * np.arange(n) / max(n - 1, 1)
        series = []
        for j, color in enumerate((LOSS_COLOR, ENERGY_COLOR)[: len(cols)]):
            y = ys[:, j]
            ok = np.isfinite(y)
            if ok.sum() < 2:
                continue
            py = rect.bottom - 3 - (rect.h - 6) * (y[ok] - lo_t) / (hi_t - lo_t)
            series.append((color, np.column_stack([xs[ok], py]).tolist()))
        blits = []
        if log:
            s = self.fonts.text("log", self.fonts.small, DIM)
            blits.append((s, (rect.right + 4, rect.centery - s.get_height() // 2)))
        f = self.fonts
        top, bottom = (colormap.log_scale_inverse(hi_t), colormap.log_scale_inverse(lo_t)) if log else (hi_t, lo_t)
        blits.append((f.text(fmt(top, 3), f.small, DIM), (rect.right + 4, rect.y - 2)))
        s = f.text(fmt(bottom, 3), f.small, DIM)
        blits.append((s, (rect.right + 4, rect.bottom - s.get_height() + 2)))
        return series, blits

    # -- toast -----------------------------------------------------------------------------
    def toast(self, surface: pygame.Surface, text: str, age: float, duration: float,
              color=TEXT, raise_by: int = 0) -> pygame.Rect:
        """A centred message near the bottom that fades out at the end of its time; a text too
        wide for the window wraps onto more lines (growing upward), never cut. Returns its rect."""
        f = self.fonts
        w, h = surface.get_size()
        room = max(w - 2 * MARGIN - 2 * PAD - 8, 40)
        lines = [text] if f.toast.size(text)[0] <= room else toast_lines(text, f.toast, room)
        rows = [f.text(line, f.toast, color) for line in lines]
        tw, th = max(r.get_width() for r in rows), sum(r.get_height() for r in rows)
        rect = pygame.Rect(0, 0, tw + 2 * PAD + 8, th + 2 * PAD - 4)
        rect.midbottom = (w // 2, h - MARGIN - 34 - raise_by)
        fade = float(np.clip((duration - age) / 0.4, 0.0, 1.0))
        p = widgets.panel(rect.size).copy()
        y = PAD - 2
        for r in rows:
            p.blit(r, (PAD + 4, y))
            y += r.get_height()
        p.set_alpha(int(255 * fade))
        surface.blit(p, rect)
        return rect

    def toast_height(self) -> int:
        """The height of a one-line toast (pixels)."""
        return self.fonts.toast.get_height() + 2 * PAD - 4

    # -- help ------------------------------------------------------------------------------
    def help(self, surface: pygame.Surface, potential_names: list[str]) -> pygame.Rect:
        """Every binding, the numbered potentials and the mouse (render/help_overlay.py)."""
        from render.hud.help_overlay import draw_help

        rect = draw_help(self.fonts, surface, potential_names)
        self.panels.append(rect)
        return rect
