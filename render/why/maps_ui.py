"""The maps of why in the window: one object that owns the plane and phase panels, the edge of
stability strip and the two map overlays, computes their numbers from the world each frame
(sim.maps, sim.maps.why) and draws them. The App needs four calls:

    maps = MapsUI(font)                   # once;  maps.set("plane", True) ... (--show names)
    maps.frame(world, view, focus, row)   # once per frame: focus = world point (x, y) of the
                                          # selected ball or the cursor; row = selected ball
    maps.draw_map(surface, view)          # over the map, under the balls (breaks, modified)
    for name in maps.panels_on(): h = maps.measure(name, w); maps.draw(name, surface, rect)

`readout()` gives every shown panel's numbers (plane.*, phase.*, edge.*, breaks.*,
modified.*) for --report; `click(rect, pos)` on the plane panel returns the rule to set.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pygame

from render.map import pan_region
from render.panels.registry import MAP_NAMES
from render.why.overlays_maps import BreaksOverlay, ModifiedOverlay
from render.why.phase_panel import EdgePanel, PhasePanel
from render.why.plane_panel import PlanePanel
from sim.maps.plane import BETA_MAX
from sim.maps.quadratic import model_eigs
from sim.rules import linear
from sim.maps import why as W
from sim.rules.dynamics import Rule

# --- constants ---------------------------------------------------------------------------------
PANELS = ("plane", "phase", "edge")
OVERLAY_PIXELS = 3  # the breaks grid: one cell per this many screen pixels square
MODIFIED_PIXELS = 2  # the modified loss's grid (its lines are anti-aliased, smooth-scaled)
DRAFT_CELLS = 2  # while the view moves a new region's grids use cells this many times larger
REST_FRAMES = 8  # frames the view must rest before a draft region is computed at full resolution
PHASE_REACH = 0.15  # a listed minimum within this fraction of the view's width centres the portrait


class MapsUI:
    """See the module docstring."""

    def __init__(self, font: pygame.font.Font) -> None:
        self.on = {name: False for name in MAP_NAMES}
        self.plane = PlanePanel(font)
        self.phase = PhasePanel(font)
        self.edge = EdgePanel(font)
        self.breaks = BreaksOverlay()
        self.modified = ModifiedOverlay()
        self.breaks_cache = W.BreaksCache()
        self.trace = W.PhaseTrace()
        self._phase_args: tuple = ([], [], math.nan, "")
        self._edge_args: tuple = ([], math.nan)
        self._mod_key: tuple | None = None
        self._mod: tuple | None = None
        self.modified_builds = 0  # modified-loss grids computed (a pan inside the region: none)
        self.region: pan_region.Region | None = None  # the overlays' grid, reused while panning
        self.draft = False  # the region's grids are drafts (computed while the view moved)
        self._last_view = None
        self._rest = 0  # frames the view has not moved
        self.rects: dict[str, pygame.Rect] = {}

    def set(self, name: str, on: bool = True) -> None:
        if name not in self.on:
            raise ValueError(f"unknown map '{name}'; choose from: {', '.join(MAP_NAMES)}")
        self.on[name] = bool(on)

    def panels_on(self) -> list[str]:
        return [n for n in PANELS if self.on[n]]

    # -- numbers -----------------------------------------------------------------------------
    def frame(self, world, view, focus: Sequence[float] | None, row: int | None) -> None:
        """Follow the world: the plane's model at `focus`, the selected ball's phase sample."""
        pot = world.potential
        rule = world.rules[int(world.particles.rule[row])] if row is not None else world.rule
        if self.on["plane"]:
            x0, x1, y0, y1 = view.rect()
            pt = focus if focus is not None else (0.5 * (x0 + x1), 0.5 * (y0 + y1))
            lams = model_eigs(pot, pt)
            if np.isfinite(lams).all():
                self.plane.update(rule, lams)
        if self.on["phase"] or self.on["edge"]:
            self._follow_ball(world, view, rule, row)

    def _follow_ball(self, world, view, rule: Rule, row: int | None) -> None:
        if row is None:
            self.trace.clear(None)
            self._phase_args, self._edge_args = ([], [], math.nan, ""), ([], math.nan)
            return
        p = world.particles
        key = (world, world.potential, row, rule)
        if key != self.trace.key:
            self.trace.clear(key)
        vel = W.ball_velocity(rule, p.vel[row:row + 1], p.buf_a[row:row + 1])[0]
        self.trace.push(p.pos[row], vel, tick=world.tick_count, tick_time=rule.tick_time)
        pos, v = self.trace.arrays()
        x0, x1, _, _ = view.rect()
        center = W.phase_center(world.potential, pos[-1], PHASE_REACH * (x1 - x0))
        h = world.potential.hessian(center.reshape(1, 2))[0]
        if np.isfinite(h).all():
            q, pv, _e, lam = W.phase_portrait(pos, v, center, h)
            self._phase_args = (q, pv, lam, W.damping_kind(rule, lam))
        lam_path, limit = W.edge_of_stability(world.potential, rule, pos)
        self._edge_args = (lam_path, limit)

    def readout(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, obj in (("plane", self.plane), ("phase", self.phase), ("edge", self.edge),
                          ("breaks", self.breaks), ("modified", self.modified)):
            if self.on[name]:
                out.update(obj.readout())
        return out

    # -- drawing -----------------------------------------------------------------------------
    def draw_map(self, surface: pygame.Surface, world, view) -> None:
        """The overlays that are on, over the whole surface (which shows `view`). Their grids
        cover a region a margin larger than the view (render/pan_region.py): a pan inside it
        blits the same pictures shifted; a zoom, a new step or leaving it computes new ones."""
        if not (self.on["breaks"] or self.on["modified"]):
            return
        moving = self._last_view is not None and view != self._last_view
        self._rest = 0 if moving else self._rest + 1
        self._last_view = view
        reg = pan_region.follow(self.region, view)
        if reg is not self.region:  # a new region: a draft while the view moves (a zoom, a pan)
            self.region, self.draft = reg, moving
        elif self.draft and self._rest >= REST_FRAMES:  # the view rests: full resolution
            self.draft = False
        k = DRAFT_CELLS if self.draft else 1
        dest = reg.screen_rect(view)
        rule = world.rule
        if self.on["breaks"]:
            step = rule.step_size
            if not linear.has_map(rule):  # no linear map: nothing known breaks (n/a, not gd's)
                self.breaks.set_na(rule.name, step)
            else:
                mask, lam = self.breaks_cache.get(world.potential, rule, reg.rect(), reg.shape(k * OVERLAY_PIXELS))
                self.breaks.draw(surface, mask, lam, W.curvature_limit(rule), step, rect=dest)
        if self.on["modified"]:
            if W.modified_coefficient(rule) is None:
                self.modified.set_na(W.modified_title(rule), rule.lr)
            else:
                self._draw_modified(surface, world, reg, k * MODIFIED_PIXELS, dest)

    def _draw_modified(self, surface: pygame.Surface, world, reg: pan_region.Region, cell: int,
                       dest: pygame.Rect) -> None:
        rule = world.rule
        coeff = W.modified_coefficient(rule)
        key = (world.potential.cache_key, coeff, reg, cell)
        if key != self._mod_key:
            xs, ys = reg.grid(cell)
            v, vm = W.modified_grids(world.potential, coeff, xs, ys)
            levels = W.contour_levels(v[::2, ::2], self.modified.count)  # quantiles of a subsample
            self._mod_key, self._mod = key, (v, vm, levels)
            self.modified_builds += 1
        v, vm, levels = self._mod
        self.modified.draw(surface, v, vm, levels, coeff, rect=dest, title=W.modified_title(rule),
                           lr=rule.lr)

    def measure(self, name: str, width: int) -> int:
        return {"plane": self.plane, "phase": self.phase, "edge": self.edge}[name].measure(width)

    def draw(self, name: str, surface: pygame.Surface, rect: pygame.Rect,
             hover_pos: tuple[int, int] | None = None) -> None:
        self.rects[name] = pygame.Rect(rect)
        if name == "plane":
            self.plane.draw(surface, rect, hover_pos)
        elif name == "phase":
            self.phase.draw(surface, rect, *self._phase_args)
        elif name == "edge":
            self.edge.draw(surface, rect, *self._edge_args)

    def click(self, rule: Rule, pos: tuple[int, int]) -> Rule | None:
        """The rule with the plane's setting under pos (lr and beta, or dt and friction), or
        None when pos is not on the plane. gd becomes momentum when beta > 0."""
        rect = self.rects.get("plane")
        at = None if rect is None else self.plane.setting_at(rect, pos)
        if at is None or not (at[0] > 0):
            return None
        p1, p2 = at
        if rule.newtonian:
            return rule.with_(dt=p1, friction=max(p2, 0.0))
        beta = min(max(p2, 0.0), BETA_MAX)
        if rule.name == "gd":
            return rule.with_(name="momentum", lr=p1, beta=beta) if beta > 0.005 else rule.with_(lr=p1)
        return rule.with_(lr=p1, beta=beta)
