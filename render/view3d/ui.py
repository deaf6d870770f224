"""The 3D view in the window: which of map / 3D / both side by side fills the map area, the
mouse in the 3D view (drag orbits, wheel zooms, a click drops a ball where its ray meets the
surface, right click removes, right drag pans the map's view), and one frame of it.

A click drops through the same runtime commands as a click on the map (`Balls.drop`,
`drop_cloud`, `remove_near`, `Runtime.select`), so race lanes and twins come along.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pygame

from render.look.theme import ACCENT, DIM, HUD_ROW_GAP, MARGIN, PAD, TEXT
from render.hud.basics import Line
from render.map.trails import Trails
from render.map.palette import rule_palette
from render.look.view import View
from render.view3d.camera import OrbitCamera, ray_hit, height_of
from render.view3d.draw import Picture, Projector3D
from sim.core.events import Change

MODES = ("map", "3d", "both")
MODE_NAMES = {"map": "map", "3d": "3D view", "both": "map and 3D view side by side"}
SHOW_NAMES = {"3d": "3d", "map+3d": "both"}  # --show names -> modes
HINT_SECONDS = 15.0  # the hint panel shows this long after the 3D view is switched on (the help keeps it)
MOVING_SECONDS = 0.2  # after an orbit or zoom the picture is coarse until the camera rests this long
CLICK_SLOP = 4  # pixels a press may move and still be a click
PICK_RADIUS = 12
CLOUD_RADIUS = 16  # pixels (on the map: the same)
REMOVE_RADIUS = 14
ZOOM_STEP = 1.15
XRAY_RADIUS = 5  # pixels: the faint ring that marks a ball hidden behind a hill
XRAY_COLOR = np.array([235, 235, 245], dtype=np.float32)
XRAY_ALPHA = 0.45
XRAY_MAX = 20000  # rings per frame at most (evenly sampled beyond)
_R = np.arange(-XRAY_RADIUS - 1, XRAY_RADIUS + 2)
_DX, _DY = np.meshgrid(_R, _R, indexing="ij")
_ON = np.abs(np.hypot(_DX, _DY) - XRAY_RADIUS) < 0.5
RING_DX, RING_DY = _DX[_ON], _DY[_ON]  # the ring's pixel offsets
MOUSE_HINT_3D = "click: drop a ball   drag: orbit   shift+click: a cloud"
MOUSE_HINT_BOTH = "map: drag throws   3D: drag orbits   click: drop a ball"
HINT = ("3D: drag orbits · wheel zooms · click drops a ball · Shift+Home resets",
        "a faint ring: a ball hidden behind a hill · V arrows and drag-throws: on the map only",
        "the balls move in the plane under −∇V; a marble rolling on z = V obeys other",
        "equations (it slows on steep walls, where gd speeds up)")


class View3D:
    """The mode, the orbit camera, the cached picture, the balls' 3D projector and trails."""

    def __init__(self, runtime, camera, gestures, show: dict, clock: Callable[[], float],
                 live: bool = True) -> None:
        self.runtime = runtime
        self.camera = camera  # the map's: its view is the 3D view's box
        self.gestures = gestures
        self.show = show
        self.clock = clock
        self.live = live  # a real window: coarse pictures while the camera moves
        self.mode = "map"
        self.cam = OrbitCamera()
        self.picture = Picture()
        self.proj = Projector3D()
        self.trails = Trails()
        self.rect: pygame.Rect | None = None  # the 3D view's rect in the map area, last frame
        self.changed_at = -1e9
        self.mode_at = -1e9  # when the mode last changed (the hint's clock)
        self._drag: list | None = None  # [button, start, last, moved]
        self._trail_key: tuple | None = None
        self._hit_key: tuple | None = None
        self._hit = None
        self._ticks = runtime.ticks_run
        show["3D"] = False

    # -- commands ------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.mode_at = self.clock()
        self.show["3D"] = mode != "map"
        self.trails.reset()

    def cycle(self) -> None:
        self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])
        self.runtime.say(MODE_NAMES[self.mode] + ("   (drag to orbit, Shift+Home resets)"
                                                  if self.mode != "map" else ""))

    def reset(self) -> None:
        self.cam.reset()
        self.runtime.say("3D camera reset")

    def scene_state(self) -> dict | None:
        """The mode and camera for a scene's [view3d]; None (no table) for the map at the
        starting camera, so such scenes are written as before."""
        c = self.cam
        if self.mode == "map" and c.key == OrbitCamera().key:
            return None
        return {"mode": self.mode, "yaw": c.yaw, "pitch": c.pitch, "zoom": c.zoom}

    def apply_scene(self, d: dict) -> None:
        """A scene's [view3d] (sim.scene checked it): its mode and camera."""
        self.cam.set(d["yaw"], d["pitch"], d["zoom"])
        if d["mode"] != self.mode:
            self.set_mode(d["mode"])

    def on_change(self, change: Change) -> None:
        if change in (Change.POPULATION, Change.LANDSCAPE, Change.DATA):
            self.trails.forget_paths()
        elif change in (Change.RESET, Change.WORLD, Change.SCRUB):
            self.trails.reset()
            self._ticks = self.runtime.ticks_run

    def moving(self) -> bool:
        return self.live and self.clock() - self.changed_at < MOVING_SECONDS

    def moved(self) -> None:
        self.changed_at = self.clock()

    # -- layout --------------------------------------------------------------------------------
    def split(self, area: pygame.Surface) -> tuple[pygame.Surface | None, pygame.Surface | None]:
        """(the map's part of the area, the 3D view's part): the area itself and None in map
        mode, None and the area in 3D mode, the left and right halves side by side."""
        if self.mode == "map":
            self.rect = None
            return area, None
        w, h = area.get_size()
        if self.mode == "3d" or w < 2 * 160:
            self.rect = pygame.Rect(0, 0, w, h)
            return None, area
        half = w // 2
        self.rect = pygame.Rect(half, 0, w - half, h)
        return area.subsurface((0, 0, half, h)), area.subsurface(self.rect)

    @property
    def shading(self):
        return None if self.picture.surf is None else self.picture.surf.shading

    # -- a frame -------------------------------------------------------------------------------
    def draw(self, area: pygame.Surface, frame, now: float) -> None:
        """The surface, trails, balls, twin rings and the rings of the chosen ball; the ball
        under the cursor becomes the frame's hover."""
        p = frame.p
        rt, w = self.runtime, self.runtime.world
        size = area.get_size()
        img = self.picture.get(area, w.potential, p.camera.view.rect(), self.cam,
                               p.camera.interacting(now), self.moving())
        area.blit(img, (0, 0))
        proj = self.proj
        proj.project3d(w, self.picture.surf, self.picture.raster, self.cam, size, rt.alpha)
        rule_ids, palette = w.particles.rule, rule_palette(w.rules)
        ticks, self._ticks = rt.ticks_run - self._ticks, rt.ticks_run
        if p.show["trails"]:
            key = (self.picture.surface_key, self.cam.key, size)
            if key != self._trail_key:
                self.trails.reset(size)
                self._trail_key = key
            self.trails.fade(ticks)
            self.trails.stamp(proj, rule_ids, palette)
            self.trails.draw(area)
        p.layers.balls.draw(area, proj, rule_ids, palette)
        draw_xray(area, proj.sx, proj.sy, proj.hidden)
        p.instruments.draw_marks(area, proj)  # twin rings
        m = self.gestures.mouse
        if m is not None and self.rect is not None and self.rect.collidepoint(m):
            frame.hover = proj.nearest(m[0] - self.rect.x + 0.5, m[1] - self.rect.y + 0.5, PICK_RADIUS)
        sel, chosen = frame.selected(), rt.balls.selected
        for k, r, width, color in ((sel, 10, 1, (255, 255, 255)), (chosen, 14, 2, ACCENT)):
            if k is not None and k < proj.n and proj.visible[k]:
                c = (int(proj.sx[k]), int(proj.sy[k]))
                pygame.draw.circle(area, (10, 10, 16), c, r + 1, width + 2)
                pygame.draw.circle(area, color, c, r, width)

    def hint_lines(self) -> list:
        return [Line([(HINT[0], "small", TEXT)])] + [
            Line([(t, "small", DIM)]) for t in HINT[1:]]

    def draw_hint(self, surface: pygame.Surface, H, x: int, bottom: int) -> None:
        """The hint panel, bottom left at (x, bottom), moved up above the HUD panels it meets."""
        if self.clock() - self.mode_at > HINT_SECONDS:
            return
        font = H.fonts.small
        w = max(font.size(t)[0] for t in HINT) + 2 * PAD
        h = len(HINT) * (font.get_linesize() + HUD_ROW_GAP) + 2 * PAD
        rect = pygame.Rect(x, bottom - h, w, h)
        for other in sorted(H.panels, key=lambda r: -r.bottom):
            if rect.colliderect(other):
                rect.bottom = other.top - MARGIN // 2
        if rect.top >= 0:
            H.text_panel(surface, self.hint_lines(), "bottomleft", rect.bottomleft)

    # -- the mouse -----------------------------------------------------------------------------
    def hit(self, pos) -> tuple[float, float] | None:
        """The world point where the ray through area pixel `pos` meets the surface, or None."""
        surf = self.picture.surf
        if self.rect is None or surf is None:
            return None
        pot = self.runtime.world.potential
        box, shading = surf.box, surf.shading

        def surface_z(X, Y):
            x, y = box.to_world(X, Y)
            v = pot.value(np.column_stack([x, y]))
            return height_of(shading(np.where(np.isfinite(v), v, shading.vmin)))

        return ray_hit(self.cam, box, pos[0] - self.rect.x + 0.5, pos[1] - self.rect.y + 0.5,
                       self.rect.size, surface_z)

    def over(self, mouse) -> bool:
        return mouse is not None and self.rect is not None and self.rect.collidepoint(mouse)

    def cursor_point(self, mouse):
        """The landscape point under the cursor for the instruments: over the 3D view the ray's
        hit on the surface (None when it misses), elsewhere "map" (the map's own pixel)."""
        if self.rect is None or (mouse is None and self.mode != "3d"):
            return "map"
        if not self.over(mouse):
            return None if self.mode == "3d" else "map"
        key = (tuple(mouse), self.cam.key, self.picture.surface_key, tuple(self.rect))
        if key != self._hit_key:
            self._hit_key, self._hit = key, self.hit(mouse)
        return self._hit

    def mouse_hint(self, mouse):
        """What the mouse does where it is (the ball panel's line when no ball is described)."""
        from render.hud.plots import MAP_MOUSE_HINT

        if self.rect is None:
            return MAP_MOUSE_HINT
        if self.over(mouse) or self.mode == "3d":
            return MOUSE_HINT_3D
        return MAP_MOUSE_HINT if mouse is not None else MOUSE_HINT_BOTH

    def claim(self, event) -> bool:
        """Mouse events over the 3D view (and the drag that started there)."""
        if self.rect is None:
            self._drag = None
            return False
        t = event.type
        d = self._drag
        if t == pygame.MOUSEBUTTONDOWN and event.button in (1, 2, 3) and self.rect.collidepoint(event.pos):
            self.gestures.mouse = tuple(event.pos)
            self._drag = [event.button, tuple(event.pos), tuple(event.pos), False]
            return True
        if t == pygame.MOUSEMOTION and d is not None:
            pos = tuple(event.pos)
            self.gestures.mouse = pos
            if not d[3] and max(abs(pos[0] - d[1][0]), abs(pos[1] - d[1][1])) > CLICK_SLOP:
                d[3] = True
            if d[3]:
                dx, dy = pos[0] - d[2][0], pos[1] - d[2][1]
                if d[0] == 1:
                    self.cam.orbit(dx, dy)
                else:
                    self._pan(dx, dy)
                self.moved()
            d[2] = pos
            return True
        if t == pygame.MOUSEBUTTONUP and d is not None and event.button == d[0]:
            self._drag = None
            if not d[3]:
                shift = bool(getattr(event, "mod", pygame.key.get_mods()) & pygame.KMOD_SHIFT)
                if d[0] == 1:
                    self._click(d[1], shift)
                elif d[0] == 3:
                    self._remove(d[1])
            return True
        if t == pygame.MOUSEWHEEL and self.gestures.mouse is not None \
                and self.rect.collidepoint(self.gestures.mouse):
            y = getattr(event, "precise_y", None)
            y = float(event.y if y is None or y == 0 else y)
            if y:
                self.cam.zoom_by(ZOOM_STEP ** y)
                self.moved()
            return True
        return False

    def _click(self, pos, shift: bool) -> None:
        rt = self.runtime
        if not shift:
            k = self.proj.nearest(pos[0] - self.rect.x + 0.5, pos[1] - self.rect.y + 0.5, PICK_RADIUS)
            if k is not None and k < rt.world.n:
                rt.select(k)
                rt.say(f"ball #{k} selected   (Esc or a click on the surface: deselect)")
                return
            if rt.balls.selected is not None:
                rt.select(None)
                return
        at = self.hit(pos)
        if at is None:
            rt.say("no surface under the cursor")
            return
        centre = np.array(at)
        if shift:
            rt.balls.drop_cloud(centre, self._world_length(CLOUD_RADIUS), None)
        else:
            rt.balls.drop(centre[None, :], None)

    def _remove(self, pos) -> None:
        at = self.hit(pos)
        if at is not None:
            self.runtime.balls.remove_near(at, self._world_length(REMOVE_RADIUS))

    def _world_length(self, pixels: float) -> float:
        surf = self.picture.surf
        return pixels / self.cam.scale(self.rect.size) * surf.box.half

    def _pan(self, dx: float, dy: float) -> None:
        """A right or middle drag: the map's view moves so the surface follows the mouse."""
        R, U, _ = self.cam.basis()
        k = self.cam.scale(self.rect.size)
        sp = max(float(np.hypot(U[0], U[1])), 0.2)
        F = np.array([-R[1], R[0]])
        shift = (R[:2] * dx + F * (-dy / sp)) / k * self.picture.surf.box.half
        v = self.camera.view
        self.camera.set_view(View(v.cx - shift[0], v.cy - shift[1], v.scale, v.w, v.h), self.clock())


def draw_xray(area: pygame.Surface, sx: np.ndarray, sy: np.ndarray, hidden: np.ndarray) -> None:
    """A faint ring (XRAY_ALPHA of XRAY_COLOR over the picture) round each hidden ball's place
    (sx, sy [n] pixels, hidden [n] bool), so a ball behind a hill is known to be there."""
    k = np.flatnonzero(hidden)
    if not len(k):
        return
    if len(k) > XRAY_MAX:
        k = k[:: -(-len(k) // XRAY_MAX)]
    w, h = area.get_size()
    x = (sx[k].astype(np.int64)[:, None] + RING_DX[None, :]).ravel()
    y = (sy[k].astype(np.int64)[:, None] + RING_DY[None, :]).ravel()
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    flat = np.unique(x[ok] * h + y[ok])
    x, y = flat // h, flat % h
    px = pygame.surfarray.pixels3d(area)
    old = px[x, y].astype(np.float32)
    px[x, y] = (old + XRAY_ALPHA * (XRAY_COLOR - old)).astype(np.uint8)
    del px
