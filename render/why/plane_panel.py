"""The hyperparameter plane panel: the (lr, beta) or (dt, friction) plane of the quadratic model
at the focus point, each pixel coloured by the exact convergence rate per tick (sim.maps).

Bright = fast, dark = slow, red = unstable; white: the stable region's border; dashed cyan:
critical damping for each Hessian eigenvalue; a gold ring: the optimum; a white dot: the
current setting. Hover: `hover(rect, pos)` gives the rate there and the ticks to shrink the
error 1000x; click: `setting_at(rect, pos)` gives the (p1, p2) to set.

    panel = PlanePanel(font)
    panel.update(rule, lams)         # cached: recomputed only when the rule or the model moves
    h = panel.measure(width); panel.draw(surface, rect, hover_pos=None)
    panel.readout()                  # plane.p1_opt, plane.<axis>_opt, plane.rate_opt, plane.rate, ...
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pygame

from render.look.colormap import VIRIDIS
from render.look.theme import ACCENT, DIM, PANEL_PAD as PAD, TEXT
from render.panels.draw.writer import Writer
from render.look.widgets import clip, draw_panel
from sim.maps.plane import Optimum, PLANE_SIZE, Plane, optimum, plane
from sim.maps.rates import STABLE_TOL, rule_rate, steps_to_shrink
from sim.rules.dynamics import Rule

# --- constants ---------------------------------------------------------------------------------
PLOT_ASPECT = 0.62  # plot height / width
TEXT_ROWS = 4
UNSTABLE_RGB = (120, 28, 36)
BORDER_RGB = (255, 255, 255)
CRITICAL_RGB = (90, 220, 255)
BEST_RGB = ACCENT
NOW_RGB = (255, 255, 255)
OUTLINE_RGB = (0, 0, 0)
RATE_GAMMA = 4.0  # colour ~ (1 - rate)^(1/gamma): spreads the slow rates near 1
DASH_ON, DASH_OFF = 4, 3
MIN_PLOT = 24


def rate_colors(rate: np.ndarray) -> np.ndarray:
    """uint8 [w, h, 3] for rates [w, h]: viridis of (1 - rate)^(1/RATE_GAMMA) where stable,
    UNSTABLE_RGB where rate > 1."""
    with np.errstate(all="ignore"):
        s = np.clip(1.0 - rate, 0.0, 1.0) ** (1.0 / RATE_GAMMA)
    rgb = VIRIDIS[np.clip((np.nan_to_num(s) * 255 + 0.5).astype(np.intp), 0, 255)]
    rgb[~(rate <= 1.0 + STABLE_TOL)] = UNSTABLE_RGB
    return rgb


def fmt_num(x: float) -> str:
    """3 significant digits, or a dash for nan / inf."""
    return f"{x:.3g}" if isinstance(x, (int, float)) and math.isfinite(x) else "—"


def fmt_steps(n: float) -> str:
    if not math.isfinite(n):
        return "never"
    return f"{n:.0f}" if n >= 1 else "1"


class PlanePanel:
    """The (p1, p2) plane of one rule at one quadratic model; see the module docstring."""

    def __init__(self, font: pygame.font.Font, plot_size: tuple[int, int] = PLANE_SIZE) -> None:
        self.font = font
        self.plot_size = plot_size
        self.plane: Plane | None = None
        self.rule: Rule | None = None
        self.lams = np.zeros(0)
        self.gd = Optimum(math.nan, math.nan, math.nan)
        self._key: tuple | None = None
        self._image: pygame.Surface | None = None
        self.plot_rect: pygame.Rect | None = None
        self.hovered: tuple[float, float, float, float] | None = None
        self.computed = 0  # how many planes were computed (the cache's misses)

    # -- numbers -----------------------------------------------------------------------------
    def update(self, rule: Rule, lams: Sequence[float]) -> None:
        """The plane for `rule` at Hessian eigenvalues `lams` (recomputed when either changes:
        the eigenvalues exactly, never rounded)."""
        lam = tuple(float(v) for v in lams)
        key = (rule, lam)
        if key == self._key:
            return
        self._key, self.rule, self.lams = key, rule, np.array(lam)
        self.plane = plane(rule, lam, self.plot_size)
        self.gd = optimum("gd", lam)
        self._image = None
        self.computed += 1

    def readout(self) -> dict[str, Any]:
        """The panel's numbers: the shown plane's kind and axes, the model's eigenvalues, the
        plane's own optimum (p1_opt, p2_opt and the same under the axes' names, e.g. lr_opt and
        beta_opt on the (lr, beta) planes, dt_opt and friction_opt on the newton plane;
        rate_opt, steps_opt), the best gd on the lr planes (lr_gd_opt, rate_gd_opt), and the
        current setting's exact rate (the rule's own one-step map) and ticks to shrink the
        error 1000x. A rule without a plane: kind, axes and the optimum null; a rule without a
        linear map: rate null."""
        if self.rule is None:
            return {}
        lam = self.lams
        kappa = float(lam.max() / lam.min()) if lam.min() > 0 else math.nan
        pl = self.plane
        rate = rule_rate(self.rule, lam)
        out: dict[str, Any] = {
            "plane.kind": pl.kind if pl else None, "plane.axes": list(pl.axes) if pl else None,
            "plane.lam_max": float(lam.max()), "plane.lam_min": float(lam.min()), "plane.kappa": kappa,
            "plane.rate": rate if math.isfinite(rate) else None,
            "plane.steps": float(steps_to_shrink(rate)) if math.isfinite(rate) else None,
        }
        if pl is None:
            out.update({"plane.p1": None, "plane.p2": None, "plane.p1_opt": None, "plane.p2_opt": None,
                        "plane.rate_opt": None, "plane.steps_opt": None})
            return out
        b = pl.best
        out.update({"plane.p1": pl.current[0], "plane.p2": pl.current[1],
                    "plane.p1_opt": b.p1, "plane.p2_opt": b.p2,
                    f"plane.{pl.axes[0]}_opt": b.p1, f"plane.{pl.axes[1]}_opt": b.p2,
                    "plane.rate_opt": b.rate, "plane.rate_plane_opt": b.rate, "plane.steps_opt": b.steps})
        if pl.axes[0] == "lr":  # the panel's "best gd" row
            out.update({"plane.lr_gd_opt": self.gd.p1, "plane.rate_gd_opt": self.gd.rate})
        if self.hovered is not None:
            out.update({"plane.hover_p1": self.hovered[0], "plane.hover_p2": self.hovered[1],
                        "plane.hover_rate": self.hovered[2], "plane.hover_steps": self.hovered[3]})
        return out

    # -- layout and pointer ------------------------------------------------------------------
    def measure(self, width: int) -> int:
        """Height the panel needs at this width."""
        line = self.font.get_linesize() + 2
        if self.plane is None and self.rule is not None:  # "n/a for <rule>" and its rate
            return PAD + 2 * line + PAD
        plot_h = max(int((width - 2 * PAD) * PLOT_ASPECT), MIN_PLOT)
        return PAD + line + plot_h + 4 + TEXT_ROWS * line + PAD

    def _plot_rect(self, rect: pygame.Rect) -> pygame.Rect:
        line = self.font.get_linesize() + 2
        w = rect.w - 2 * PAD
        return pygame.Rect(rect.x + PAD, rect.y + PAD + line, w, max(int(w * PLOT_ASPECT), MIN_PLOT))

    def to_pixel(self, plot: pygame.Rect, p1: float, p2: float) -> tuple[float, float]:
        a0, a1, b0, b1 = self._box()
        return (plot.x + (p1 - a0) / (a1 - a0) * plot.w,
                plot.bottom - (p2 - b0) / (b1 - b0) * plot.h)

    def setting_at(self, rect: pygame.Rect, pos: tuple[int, int]) -> tuple[float, float] | None:
        """(p1, p2) under screen point pos, or None outside the plot: what a click sets."""
        if self.plane is None:
            return None
        plot = self._plot_rect(pygame.Rect(rect))
        if not plot.collidepoint(pos):
            return None
        a0, a1, b0, b1 = self._box()
        p1 = a0 + (pos[0] + 0.5 - plot.x) / plot.w * (a1 - a0)
        p2 = b0 + (plot.bottom - pos[1] - 0.5) / plot.h * (b1 - b0)
        return p1, p2

    def hover(self, rect: pygame.Rect, pos: tuple[int, int] | None) -> tuple[float, float, float, float] | None:
        """(p1, p2, exact rate, ticks to shrink 1000x) under pos; remembered for draw/readout."""
        at = None if pos is None else self.setting_at(rect, pos)
        if at is None or self.plane is None:
            self.hovered = None
        else:
            r = self.plane.rate_at(*at)
            self.hovered = (at[0], at[1], r, float(steps_to_shrink(r)))
        return self.hovered

    def _box(self) -> tuple[float, float, float, float]:
        pl = self.plane
        d1 = (pl.p1[1] - pl.p1[0]) if len(pl.p1) > 1 else 1.0
        d2 = (pl.p2[1] - pl.p2[0]) if len(pl.p2) > 1 else 1.0
        return pl.p1[0] - 0.5 * d1, pl.p1[-1] + 0.5 * d1, pl.p2[0] - 0.5 * d2, pl.p2[-1] + 0.5 * d2

    # -- drawing -----------------------------------------------------------------------------
    def _make_image(self) -> pygame.Surface:
        """The rate colours (y up) with the stable border in white, at the plane's grid size."""
        pl = self.plane
        rgb = rate_colors(pl.rate)
        stable = pl.rate <= 1.0 + STABLE_TOL
        edge = np.zeros_like(stable)
        edge[:-1] |= stable[:-1] != stable[1:]
        edge[:, :-1] |= stable[:, :-1] != stable[:, 1:]
        rgb[edge] = BORDER_RGB
        return pygame.surfarray.make_surface(np.ascontiguousarray(rgb[:, ::-1]))

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, hover_pos: tuple[int, int] | None = None) -> None:
        rect = pygame.Rect(rect)
        draw_panel(surface, rect)
        if self.plane is None:
            if self.rule is not None:
                with clip(surface, rect):
                    w = Writer(surface, rect, self.font)
                    rate = self.readout()["plane.rate"]
                    w.row(("hyperparameter plane", TEXT), (f"  n/a for {self.rule.name}", DIM))
                    w.row((f"rate {fmt_num(rate) if rate is not None else 'n/a'}", NOW_RGB),
                          ("  (its own one-step map)" if rate is not None else "  (no constant linear map)", DIM))
            return
        pl = self.plane
        with clip(surface, rect):
            w = Writer(surface, rect, self.font)
            title = "(lr, β) plane" if pl.axes[0] == "lr" else "(dt, friction) plane"
            kap = self.readout()["plane.kappa"]
            w.row((title, TEXT), (f"  {pl.kind} · κ = {fmt_num(kap)}", DIM))
            plot = self._plot_rect(rect)
            self.plot_rect = plot
            if self._image is None:
                self._image = self._make_image()
            surface.blit(pygame.transform.scale(self._image, plot.size), plot.topleft)
            self._draw_marks(surface, plot)
            w.y = plot.bottom + 4
            if hover_pos is not None:
                self.hover(rect, hover_pos)
            self._draw_rows(w)

    def _draw_marks(self, surface: pygame.Surface, plot: pygame.Rect) -> None:
        pl = self.plane
        for crit in pl.critical:  # dashed critical-damping curves
            ok = np.isfinite(crit)
            pts = [self.to_pixel(plot, a, b) for a, b in zip(pl.p1[ok], crit[ok])]
            pts = [(x, y) for x, y in pts if plot.top <= y <= plot.bottom]
            for i in range(0, len(pts) - 1, DASH_ON + DASH_OFF):
                seg = pts[i:i + DASH_ON + 1]
                if len(seg) > 1:
                    pygame.draw.lines(surface, CRITICAL_RGB, False, seg, 1)
        if math.isfinite(pl.best.rate):
            x, y = self.to_pixel(plot, pl.best.p1, pl.best.p2)
            pygame.draw.circle(surface, OUTLINE_RGB, (int(x), int(y)), 7, 3)
            pygame.draw.circle(surface, BEST_RGB, (int(x), int(y)), 6, 2)
        x, y = self.to_pixel(plot, pl.current[0], pl.current[1])
        if plot.inflate(8, 8).collidepoint(x, y):
            pygame.draw.circle(surface, OUTLINE_RGB, (int(x), int(y)), 5)
            pygame.draw.circle(surface, NOW_RGB, (int(x), int(y)), 3)

    def _draw_rows(self, w: Writer) -> None:
        pl = self.plane
        n1, n2 = pl.axes
        b = pl.best
        w.row((f"best {n1} {fmt_num(b.p1)}  {n2} {fmt_num(b.p2)}", BEST_RGB),
              (f"  rate {fmt_num(b.rate)} · {fmt_steps(b.steps)} ticks to 1/1000", DIM))
        if math.isfinite(self.gd.rate) and pl.axes[0] == "lr":
            w.row((f"best gd lr {fmt_num(self.gd.p1)}  rate {fmt_num(self.gd.rate)}", DIM))
        else:
            w.row(("", DIM))
        cur = pl.current
        steps = float(steps_to_shrink(cur[2])) if math.isfinite(cur[2]) else math.nan
        w.row((f"now {n1} {fmt_num(cur[0])}  {n2} {fmt_num(cur[1])}", NOW_RGB),
              (f"  rate {fmt_num(cur[2])} · {fmt_steps(steps)} ticks" if math.isfinite(cur[2])
               else "  rate n/a", DIM))
        if self.hovered is not None:
            h = self.hovered
            text = (f"here {n1} {fmt_num(h[0])}  {n2} {fmt_num(h[1])}  rate {fmt_num(h[2])} · "
                    f"{fmt_steps(h[3])} ticks")
            w.row((text, CRITICAL_RGB))



