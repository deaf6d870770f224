"""One frame of the window, in its order: map, overlays, trails, balls, rings, arrows, the HUD
and the instrument panels, the scene's words and the modal parts, then the screenshot and the
recording. Drawing only: it reads the runtime and changes nothing in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame

from render.look.theme import ACCENT, DIM, MARGIN
from render.hud.basics import History, Line
from render.hud.hud import Hud
from render.map.arrows import FieldOverlay, draw_arrows
from render.map.sprites import Balls
from render.map.projector import Projector
from render.map.trails import Trails
from render.map.palette import rule_palette
from render.look.camera import Camera
from render.hud.caption import CaptionCard, free_span
from render.hud.plots import draw_ball_panel, info_lines
from render.input.router import Gestures
from render.panels.instrument_panels import Context
from render.panels.instruments_ui import Instruments
from render.map.landscape import Landscape
from render.hud.notices import Notices
from render.files.recording_ui import RecordingUI
from render.files.scene_ui import SceneUI
from render.map.vectors import ball_arrows, throw_label
from sim.runtime.runtime import Runtime

PICK_RADIUS = 12  # pixels: the ball "under the cursor"
HOVER_EVERY_LARGE = 6  # frames between cursor picks when there are many balls
LARGE = 200_000  # "many balls"
EDITOR_FONTS = ("dejavusansmono", "notosansmono", "liberationmono", "couriernew")
EDITOR_FONT_SIZE = 16


@dataclass
class Layers:
    """What the map and the balls are drawn with (each caches what it can)."""

    landscape: Landscape = field(default_factory=Landscape)
    force_field: FieldOverlay = field(default_factory=FieldOverlay)
    proj: Projector = field(default_factory=Projector)
    balls: Balls = field(default_factory=Balls)
    trails: Trails = field(default_factory=Trails)


@dataclass
class Parts:
    """Everything a frame shows, as the App composed it."""

    runtime: Runtime
    camera: Camera
    gestures: Gestures
    instruments: Instruments
    scene_ui: SceneUI
    recording: RecordingUI
    notices: Notices
    hud: Hud
    history: History
    layers: Layers
    show: dict[str, bool]
    potential_names: list[str]
    view3d: Any = None  # render.view3d.ui.View3D (None: the map only)


class Frame:
    """Draws frames; remembers the ball under the cursor and what the trails last saw."""

    def __init__(self, parts: Parts) -> None:
        self.p = parts
        self.card = CaptionCard(parts.hud.fonts)
        self.hover: int | None = None
        self.frames = 0  # frames drawn (picks are sparse with many balls)
        self._trail_key: tuple | None = None
        self.span = None  # the free stretch along the top this frame (render.hud.caption.Span)
        self._editor_font: pygame.font.Font | None = None
        self._ticks_drawn = parts.runtime.ticks_run

    def forget_ticks(self) -> None:
        """The trails fade from now on (a new world: no ticks to catch up)."""
        self._ticks_drawn = self.p.runtime.ticks_run

    def selected(self) -> int | None:
        """The ball the HUD describes: under the cursor, else the one a click chose, else the
        last one dropped."""
        n = self.p.runtime.world.n
        balls = self.p.runtime.balls
        for k in (self.hover, balls.selected, balls.last_dropped):
            if k is not None and 0 <= k < n:
                return k
        return None

    def context(self, frames: int) -> Context:
        p = self.p
        point = "map" if p.view3d is None else p.view3d.cursor_point(p.gestures.mouse)
        return Context(p.runtime, p.hud.fonts.small, p.camera.view, frames, p.gestures.mouse,
                       self.hover, self.selected(), point)

    # -- the frame ---------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, now: float, frames: int, fps: float | None) -> None:
        """Everything but the screenshot and the recording (the App does those after)."""
        p = self.p
        area, area3d = p.view3d.split(surface) if p.view3d is not None else (surface, None)
        if area is not None:
            self._draw_map_area(area, now, frames)
        else:
            p.camera.resize(surface.get_size())  # the 3D view's box is the map's view
            self.frames = frames
            self.hover = None
        if area3d is not None:
            p.view3d.draw(area3d, self, now)
        self._draw_hud(surface, now, frames, fps, area, area3d)
        self._draw_scene(surface)

    def _draw_map_area(self, surface: pygame.Surface, now: float, frames: int) -> None:
        """The map, its overlays, trails, balls, rings, arrows and the throw."""
        p = self.p
        size = surface.get_size()
        if p.camera.resize(size):
            p.layers.trails.reset(size)
        self._draw_map(surface, p.camera.interacting(now))
        self._draw_balls(surface, size)
        self.frames = frames
        self._pick()
        if p.show["arrows"]:
            self._draw_ball_arrows(surface)
        sel = self.selected()
        proj = p.layers.proj
        if sel is not None and proj.visible[sel]:
            c = (int(proj.sx[sel]), int(proj.sy[sel]))
            pygame.draw.circle(surface, (10, 10, 16), c, 11, 3)
            pygame.draw.circle(surface, (255, 255, 255), c, 10, 1)
        chosen = p.runtime.balls.selected
        if chosen is not None and chosen < len(proj.visible) and proj.visible[chosen]:
            c = (int(proj.sx[chosen]), int(proj.sy[chosen]))
            p.instruments.step.draw_arrows(surface, p.hud.fonts.small, p.runtime.watch.last,
                                           (proj.sx[chosen], proj.sy[chosen]))
            pygame.draw.circle(surface, (10, 10, 16), c, 15, 4)
            pygame.draw.circle(surface, ACCENT, c, 14, 2)
        d = p.gestures.drag
        if d is not None and d.button == 1 and d.moved:
            self._draw_throw(surface)

    def _draw_map(self, surface: pygame.Surface, draft: bool) -> None:
        p = self.p
        view, pot = p.camera.view, p.runtime.world.potential
        if p.instruments.basins_shown():  # a grey relief under the basin colours
            surface.blit(p.layers.landscape.grey_surface(view, pot, draft), (0, 0))
        else:
            surface.blit(p.layers.landscape.surface(view, pot, draft), (0, 0))
        if p.show["field"] and not draft:
            surface.blit(p.layers.force_field.surface(view, pot), (0, 0))
        p.instruments.draw_map(surface, self.context(self.frames))  # basins, maps of why

    def _draw_balls(self, surface: pygame.Surface, size: tuple[int, int]) -> None:
        p = self.p
        w, L = p.runtime.world, p.layers
        L.proj.project(w, p.camera.view, p.runtime.alpha)
        rule_ids = w.particles.rule
        palette = rule_palette(w.rules)
        ticks = p.runtime.ticks_run - self._ticks_drawn
        self._ticks_drawn = p.runtime.ticks_run
        if p.show["trails"]:
            key = (p.camera.view,)
            if key != self._trail_key:
                L.trails.reset(size)
                self._trail_key = key
            L.trails.fade(ticks)
            L.trails.stamp(L.proj, rule_ids, palette)
            L.trails.draw(surface)
        L.balls.draw(surface, L.proj, rule_ids, palette)
        p.instruments.draw_marks(surface, L.proj)  # twin rings

    def _pick(self) -> None:
        m, proj = self.p.gestures.mouse, self.p.layers.proj
        if m is None or proj.n == 0:
            self.hover = None
            return
        if proj.n > LARGE and self.frames % HOVER_EVERY_LARGE:
            if self.hover is not None and self.hover >= proj.n:
                self.hover = None
            return
        self.hover = proj.nearest(m[0] + 0.5, m[1] + 0.5, PICK_RADIUS)

    def _draw_ball_arrows(self, surface: pygame.Surface) -> None:
        p = self.p
        tails, vtips, ftips = ball_arrows(p.runtime.world, p.layers.proj, p.camera.view, p.layers.force_field)
        if len(tails):
            from render.look.theme import FORCE_COLOR, VELOCITY_COLOR

            draw_arrows(surface, tails, vtips, VELOCITY_COLOR)
            draw_arrows(surface, tails, ftips, FORCE_COLOR)

    def _draw_throw(self, surface: pygame.Surface) -> None:
        p = self.p
        d, mouse = p.gestures.drag, p.gestures.mouse
        a = np.array([d.start], float) + 0.5
        b = np.array([mouse], float) + 0.5
        draw_arrows(surface, a, b, (255, 255, 255))
        pygame.draw.circle(surface, (255, 255, 255), d.start, 6, 2)
        text = throw_label(p.runtime, p.camera.view, d.start, mouse)
        fonts = p.hud.fonts
        s = fonts.text(text, fonts.small, (255, 255, 255))
        surface.blit(s, (mouse[0] + 12, mouse[1] - 18))

    def _draw_hud(self, surface: pygame.Surface, now: float, frames: int, fps: float | None,
                  area: pygame.Surface | None = None, area3d: pygame.Surface | None = None) -> None:
        p = self.p
        H = p.hud
        H.panels = []
        W, Hh = surface.get_size()
        M = MARGIN
        H.text_panel(surface, info_lines(p.runtime, fps), "topleft", (M, M), min_width=300)
        shading = p.layers.landscape.shading if area is not None else p.view3d.shading
        if shading is not None:
            H.colorbar(surface, shading, (W - M, M), grey=p.instruments.basins_shown() and area is not None)

        k = self.selected()
        hint = {} if p.view3d is None else {"hint": p.view3d.mouse_hint(p.gestures.mouse)}
        draw_ball_panel(surface, H, p.runtime, p.history, k, k is not None and k == self.hover,
                        p.gestures.mouse, **hint)
        r = H.text_panel(surface, [Line([("H", "body", ACCENT), (":", "body", DIM),
                                             (" help", "body", DIM)])], "bottomleft", (M, Hh - M))
        if area3d is not None:  # how to drive the 3D view, and what it does not mean
            p.view3d.draw_hint(surface, H, max(r.right, p.view3d.rect.x) + M, Hh - M)
        # the instrument panels before the axes: tick labels keep clear of them
        H.panels += p.instruments.draw_panels(surface, self.context(frames), list(H.panels), H.fonts)
        if area is not None:
            H.axes(area, p.camera.view, p.runtime.world.potential.axis_names)
        p.notices.draw(surface, H, now)
        if p.show["help"]:
            H.help(surface, p.potential_names)

    def _draw_scene(self, surface: pygame.Surface) -> None:
        """The caption card or the scene title, the formula editor, the scene list."""
        p = self.p
        sc = p.scene_ui
        sc.card_rect = sc.title_rect = None
        sc.forget_stale_caption()
        span = free_span(surface.get_width(), p.hud.panels)
        self.span = span
        rec = p.recording.width(p.hud.fonts) if p.recording.recording else 0
        if not p.show.get("help"):
            if sc.caption_open and sc.caption:
                sc.card_rect = self.card.draw_card(surface, span, sc.kicker(), sc.title, sc.caption,
                                                   p.runtime.paused, rec)
                p.hud.panels.append(sc.card_rect)
            elif sc.title:
                sc.title_rect = self.card.draw_title(surface, span, sc.title, bool(sc.caption), rec)
                if sc.title_rect is not None:
                    p.hud.panels.append(sc.title_rect)
        fonts = p.hud.fonts
        if sc.editor.active:
            font = self.editor_font()
            w, h = surface.get_size()
            eh = sc.editor.height(font)
            m = MARGIN
            sc.editor.draw(surface, pygame.Rect(m, h - m - eh, w - 2 * m, eh), font)
        if sc.picker.active:
            sc.picker.draw(surface, fonts.body, fonts.small)

    def editor_font(self) -> pygame.font.Font:
        """A monospaced font for the formula editor (the HUD's font when there is none)."""
        if self._editor_font is None:
            path = None
            for name in EDITOR_FONTS:
                try:
                    path = pygame.font.match_font(name)
                except Exception:  # noqa: BLE001 - fontconfig trouble: the HUD's font
                    path = None
                if path:
                    break
            self._editor_font = pygame.font.Font(path, EDITOR_FONT_SIZE) if path else self.p.hud.fonts.body
        return self._editor_font

    def draw_rec(self, surface: pygame.Surface) -> None:
        """The REC panel, after the recorder took the frame."""
        p = self.p
        span = self.span if self.span is not None else free_span(surface.get_width(), p.hud.panels)
        right = span.right
        p.recording.draw(surface, p.hud.fonts, right, self.card.panel)
