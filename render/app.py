"""The interactive loop: Fiedler's fixed timestep, input -> commands on the world, drawing.

`run()` is the entry point main.py calls. `App` holds everything between frames and is driven
the same way by the real window, the headless loop and the tests: `handle(event)` for input,
`update(frame_seconds)` for time, `draw(surface)` for the picture. Pause, single step and the
time scale are ordinary commands (`cmd_*`), looked up through the one key table.
"""
from __future__ import annotations

import datetime
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

WINDOW_TITLE = "Newton Descent"
DEFAULT_SIZE = (1280, 800)
FPS_CAP = 60
DEFAULT_BALLS = 36  # a window opened without balls starts with this many rolling
NOMINAL_FRAME = 1.0 / 60.0  # seconds of real time per headless frame
CLICK_SLOP = 4  # pixels a press may move and still be a click
THROW_SECONDS = 0.5  # a thrown ball would cover its drag vector in this much time (at ×1)
CLOUD_SIZE = 200  # balls in a Shift+click cloud
CLOUD_RADIUS = 16  # pixels
REMOVE_RADIUS = 14  # pixels around the cursor that a right click clears
PICK_RADIUS = 12  # pixels: the ball "under the cursor"
ZOOM_STEP = 1.2  # per wheel notch
DRAFT_SECONDS = 0.25  # after a zoom or pan, maps are drafts until the view rests this long
TIME_SCALE_RANGE = (1.0 / 64.0, 64.0)
STEP_RANGE = (1e-9, 1e3)  # lr and dt stay inside this
MAX_DT_BOOST = 16.0  # most extra ticks a second that make up for a dt the mass control lowered
FRICTION_RANGE = (1e-3, 1e4)  # friction below the low end becomes 0; 0 steps up to it
TEMPERATURE_RANGE = (1e-4, 1e4)
STATS_EVERY = 4  # ticks between samples of the live plot
STATS_SAMPLE = 10_000  # at most this many balls enter the plot's means (evenly strided)
HOVER_EVERY_LARGE = 6  # frames between cursor picks when there are many balls
LARGE = 200_000  # "many balls"
NO_DISPLAY = ("newton-descent: no display available "
              "(set DISPLAY, or use --headless --frames N / --steps N)")


def _pygame():
    import pygame  # imported late: `render` is the only package that loads pygame

    return pygame


@dataclass
class Drag:
    button: int
    start: tuple[int, int]
    last: tuple[int, int]
    shift: bool = False
    moved: bool = False


class App:
    """The window's state between frames: world, view, toggles, input in progress, caches."""

    def __init__(self, world, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0,
                 headless: bool = False) -> None:
        from render.arrows import FieldOverlay
        from render.balls import Balls, Projector, Trails
        from render.hud import Fonts, History, Hud
        from render.landscape import Landscape
        from render.tuning import family, suggestions
        from render.view import View
        from sim.potentials import POTENTIALS

        self.world = world
        self.world.keep_prev = True
        self.headless = headless
        self.potentials = list(POTENTIALS.values())
        self.home_rect = world.potential.view  # what Home shows: the landscape's or the scene's
        self.home = View.fit(self.home_rect, size)
        self.view = self.home
        self.paused = False
        self.time_scale = 1.0
        self.acc = 0.0
        self.alpha = 0.0
        self.frame_ticks = 0
        self.show = {"trails": True, "arrows": False, "field": False, "help": False}
        self.running = True
        self.status = 0
        self.rng = np.random.default_rng([int(seed), 7])  # clouds (the world has its own)
        self.real_time = 0.0  # seconds of (nominal, when headless) frame time so far
        self.frame_seconds = NOMINAL_FRAME  # the last frame's length (real in the window)
        self.view_changed_at = -1e9
        self.frames = 0
        self.mouse: tuple[int, int] | None = None
        self.drag: Drag | None = None
        self.hover: int | None = None
        self.last_dropped: int | None = None
        self.toast_msg: tuple[str, float, float, tuple] | None = None
        self.message: tuple[str, float, float, tuple] | None = None
        self.screen = None  # the surface last drawn
        self.shot_requested = False
        self.last_screenshot: str | None = None
        self.landscape = Landscape()
        self.field = FieldOverlay()
        self.proj = Projector()
        self.balls = Balls()
        self.trails = Trails()
        self.fonts = Fonts()
        self.hud = Hud(self.fonts)
        self.history = History()
        self._trail_key: tuple | None = None
        self._stats_tick = -1
        # one remembered step size per rule family (gd, heavy ball, newton, adaptive)
        self.steps = list(suggestions(world.potential))
        fam = family(world.rule.name)
        self.steps[fam] = world.rule.dt if fam == 2 else world.rule.lr
        self._sample_stats()
        from render.scene_ui import SceneUI

        self.scene_ui = SceneUI(self)  # scenes, lessons, formula editor, recording
        from render.instruments_ui import Instruments

        self.instruments = Instruments(self)  # race, bridge, ledger, stability, basins, heat

    # -- small helpers ---------------------------------------------------------------------
    def say(self, text: str, color=None) -> None:
        """A toast: shows a parameter's new value for a couple of seconds."""
        from render import hud

        self.toast_msg = (text, self.real_time, hud.TOAST_SECONDS, color or hud.TEXT)

    def tell(self, text: str, color=None) -> None:
        """A longer message (screenshot saved, errors)."""
        from render import hud

        self.message = (text, self.real_time, hud.MESSAGE_SECONDS, color or hud.TEXT)

    def _after_population_change(self) -> None:
        self.trails.forget_paths()
        self.hover = None
        self.instruments.population_changed()

    def _set_view(self, view, interactive: bool = True) -> None:
        """interactive: part of a zoom or pan gesture (draft maps until it rests)."""
        if interactive and view != self.view:
            self.view_changed_at = self.real_time
        self.view = view

    def interacting(self) -> bool:
        """The view changed a moment ago (zoom, pan): draw draft maps, skip the field."""
        return not self.headless and self.real_time - self.view_changed_at < DRAFT_SECONDS

    # -- input -----------------------------------------------------------------------------
    def handle(self, event) -> None:
        """Turn one pygame event into commands."""
        pygame = _pygame()
        from render import keys

        if self.scene_ui.handle(event):  # the formula editor, the caption card
            return
        if self.instruments.handle(event):  # Esc cancels basins; race lane chips
            return
        t = event.type
        if t == pygame.QUIT:
            self.cmd_quit(None)
        elif t == pygame.KEYDOWN:
            b = keys.lookup(event)
            if b is not None:
                getattr(self, "cmd_" + b.command)(b.arg)
        elif t == pygame.MOUSEMOTION:
            self._motion(event.pos)
        elif t == pygame.MOUSEBUTTONDOWN:
            self.mouse = tuple(event.pos)
            if event.button in (1, 2, 3):
                mods = getattr(event, "mod", None)
                if mods is None:
                    mods = pygame.key.get_mods()
                self.drag = Drag(event.button, tuple(event.pos), tuple(event.pos),
                                 shift=bool(mods & pygame.KMOD_SHIFT))
        elif t == pygame.MOUSEBUTTONUP:
            self.mouse = tuple(event.pos)
            d = self.drag
            if d is not None and d.button == event.button:
                self._motion(event.pos)
                self.drag = None
                self._release(d, tuple(event.pos))
        elif t == pygame.MOUSEWHEEL:
            y = getattr(event, "precise_y", None)
            y = float(event.y if y is None or y == 0 else y)
            if self.mouse is None:
                self.mouse = pygame.mouse.get_pos()
            if y:
                self.zoom(self.mouse, ZOOM_STEP ** y)

    def _motion(self, pos) -> None:
        pos = tuple(int(v) for v in pos)
        self.mouse = pos
        d = self.drag
        if d is None:
            return
        if not d.moved and max(abs(pos[0] - d.start[0]), abs(pos[1] - d.start[1])) > CLICK_SLOP:
            d.moved = True
        if d.moved and d.button in (2, 3):
            self._set_view(self.view.pan(pos[0] - d.last[0], pos[1] - d.last[1]))
        d.last = pos

    def _release(self, d: Drag, pos: tuple[int, int]) -> None:
        if d.button == 1:
            vel = None
            if d.moved:
                p0 = np.array(self.view.pixel_to_world(*d.start))
                p1 = np.array(self.view.pixel_to_world(*pos))
                vel = (p1 - p0) / self.throw_time()
            self.drop_at(d.start, vel, cloud=d.shift)
        elif d.button == 3 and not d.moved:
            self.remove_at(pos)

    def throw_time(self) -> float:
        """Simulated time in THROW_SECONDS of real time at time scale 1."""
        from sim.clock import TICK_HZ

        return THROW_SECONDS * TICK_HZ * self.world.rule.tick_time

    def drop_at(self, pix, vel=None, cloud: bool = False) -> slice | None:
        """Drop one ball (or a cloud) at a pixel, with an optional velocity (world units)."""
        centre = np.array(self.view.pixel_to_world(*pix))
        if cloud:
            r = self.view.length(CLOUD_RADIUS) * np.sqrt(self.rng.random(CLOUD_SIZE))
            a = self.rng.random(CLOUD_SIZE) * 2.0 * np.pi
            pos = centre + np.column_stack([r * np.cos(a), r * np.sin(a)])
        else:
            pos = centre[None, :]
        v = None if vel is None else np.broadcast_to(np.asarray(vel, float), pos.shape)
        try:
            self.scene_ui.check_room(len(pos))  # CapacityError past the window's ball limit
            s = self.instruments.drop(pos, v)  # race lanes and twins too, when on
        except ValueError as e:
            self.tell(str(e), self._warn())
            return None
        self.last_dropped = s.start
        self._after_population_change()
        if cloud:
            self.say(f"+{CLOUD_SIZE} balls")
        return s

    def remove_at(self, pix) -> int:
        point = self.view.pixel_to_world(*pix)
        removed = self.instruments.remove_near(point, self.view.length(REMOVE_RADIUS))
        if removed:
            self.last_dropped = None
            self._after_population_change()
            self.say(f"removed {removed:,} ball{'s' if removed != 1 else ''}")
        return removed

    def zoom(self, pix, factor: float) -> None:
        self._set_view(self.view.zoom_about(pix[0], pix[1], factor))

    @staticmethod
    def _warn():
        from render import hud

        return hud.WARN

    # -- commands (the key table names them) ---------------------------------------------
    def cmd_quit(self, _arg) -> None:
        self.running = False

    def cmd_scene(self, what: str) -> None:
        """Scenes, formula editor, recording: see render/scene_ui.py."""
        self.scene_ui.command(what)

    def cmd_pause(self, _arg) -> None:
        self.paused = not self.paused
        self.say("paused" if self.paused else "running")

    def cmd_step(self, _arg) -> None:
        if not self.paused:
            self.paused = True
        self._tick(1)
        self.say(f"tick {self.world.tick_count:,}")

    def rule_for(self, name: str):
        """The current rule renamed, with that rule family's remembered step size."""
        from render.tuning import family

        fam = family(name)
        step = self.steps[fam]
        return self.world.rule.with_(name=name, **({"dt": step} if fam == 2 else {"lr": step}))

    def cmd_rule(self, name: str) -> None:
        new = self.rule_for(name)
        self.world.set_rule(new)
        self.say(new.label())

    def cmd_instrument(self, arg) -> None:
        """Race, bridge, ledger, stability, basins, heat, integrator, mass: render/instruments_ui.py."""
        self.instruments.command(arg)

    def set_instrument(self, name: str, on: bool) -> None:
        self.instruments.set(name, on)

    def instrument_states(self) -> dict[str, bool]:
        return self.instruments.states()

    def world_changed(self) -> None:
        self.instruments.world_changed()

    def cmd_cycle_rule(self, direction: int) -> None:
        from sim.dynamics import RULES

        i = RULES.index(self.world.rule.name) if self.world.rule.name in RULES else 0
        self.cmd_rule(RULES[(i + direction) % len(RULES)])

    def cmd_potential(self, index: int) -> None:
        if not 0 <= index < len(self.potentials):
            return
        self.set_potential(self.potentials[index])

    def cmd_cycle_potential(self, direction: int) -> None:
        names = [p.name for p in self.potentials]
        cur = self.world.potential.name
        i = names.index(cur) if cur in names else (-1 if direction > 0 else 0)
        self.set_potential(self.potentials[(i + direction) % len(self.potentials)])

    def set_potential(self, potential) -> None:
        """Switch landscape: fit the view, take its suggested step sizes, keep the balls."""
        from render.instruments_ui import retuned_rules
        from render.tuning import rescale, suggest, suggestions
        from render.view import View

        old = list(suggestions(self.world.potential))
        self.world.set_potential(potential)
        new = list(suggestions(potential))
        if len(self.world.rules) == 1:
            self.steps = new
            self.world.set_rule(suggest(potential, self.world.rule))
        else:  # race lanes and twins keep their rules, each step rescaled to the new landscape
            self.world.retune(retuned_rules(self.world.rules, old, new))
            # the chosen steps move the same way (a step the mass control lowered stays lower)
            self.steps = [rescale(s, a, b) for s, a, b in zip(self.steps, old, new)]
        self.home_rect = potential.view
        self.home = View.fit(self.home_rect, (self.view.w, self.view.h))
        self._set_view(self.home, interactive=False)
        self.history.clear()
        self._sample_stats()
        self.say(f"{potential.name}    {self.world.rule.label()}")

    def cmd_step_size(self, factor: float) -> None:
        from render.tuning import family

        r = self.world.rule
        name = "dt" if r.newtonian else "lr"
        value = float(np.clip(getattr(r, name) * factor, *STEP_RANGE))
        self._set_param(name, value)
        self.steps[family(r.name)] = getattr(self.world.rule, name)

    def cmd_friction(self, factor: float) -> None:
        lo, hi = FRICTION_RANGE
        f = self.world.rule.friction
        if f == 0.0:
            value = lo if factor > 1 else 0.0
        else:
            value = f * factor
            value = 0.0 if value < lo else min(value, hi)
        self._set_param("friction", value, "" if self.world.rule.newtonian
                        else "   (used by newton, langevin)")

    def cmd_temperature(self, factor: float) -> None:
        lo, hi = TEMPERATURE_RANGE
        t = self.world.rule.temperature
        value = lo if t == 0.0 and factor > 1 else float(np.clip(t * factor, 0.0, hi))
        if value < lo:
            value = 0.0
        self._set_param("temperature", value, "" if self.world.rule.name == "langevin"
                        else "   (used by langevin)")

    def _set_param(self, name: str, value: float, note: str = "") -> None:
        try:
            self.world.set_params(**{name: value})
        except ValueError as e:
            self.say(str(e), self._warn())
            return
        self.say(f"{name} = {getattr(self.world.rule, name):.4g}{note}")

    def dt_boost(self) -> float:
        """How many more ticks a second to run because the mass control lowered newton's dt
        below the step the user chose (steps[2]): so a light ball keeps the pace of the
        chosen dt instead of crawling. At most MAX_DT_BOOST; 1 otherwise."""
        r = self.world.rule
        if not r.newtonian or not r.dt > 0.0:
            return 1.0
        return float(min(max(self.steps[2] / r.dt, 1.0), MAX_DT_BOOST))

    def cmd_time_scale(self, factor: float) -> None:
        self.time_scale = float(np.clip(self.time_scale * factor, *TIME_SCALE_RANGE))
        self.say(f"time {time_scale_label(self.time_scale)}")

    def cmd_restart(self, _arg) -> None:
        self.world.restart()
        self.trails.reset()
        self._after_population_change()
        self.history.clear()
        self._sample_stats()
        self.say("restart from the drop points")

    def cmd_clear(self, _arg) -> None:
        self.world.clear()
        self.trails.reset()
        self._after_population_change()
        self.last_dropped = None
        self.history.clear()
        self.say("cleared")

    def cmd_toggle(self, what: str) -> None:
        self.show[what] = not self.show[what]
        if what == "trails":
            self.trails.reset()
        if what != "help":
            self.say(f"{what} {'on' if self.show[what] else 'off'}")

    def cmd_reset_view(self, _arg) -> None:
        from render.view import View

        self.home = View.fit(self.home_rect, (self.view.w, self.view.h))
        self._set_view(self.home, interactive=False)

    def cmd_screenshot(self, _arg) -> None:
        """Ask for a screenshot: the next frame, once drawn, is saved (so it shows every input
        handled before the key) as newton-descent-YYYYmmdd-HHMMSS[-k].png in the current
        folder. The message about it appears from the frame after."""
        self.shot_requested = True

    def save_screenshot(self, surface) -> str | None:
        from render.recorder import RecorderError, save_screenshot

        try:  # atomic, and never over an existing file
            path = str(save_screenshot(surface, folder=os.getcwd()))
        except (RecorderError, OSError) as e:  # unwritable folder, full disk ...: keep going
            self.tell(f"screenshot failed: {e}", self._warn())
            return None
        self.last_screenshot = path
        self.tell(f"screenshot saved: {path}")
        return path

    # -- time ------------------------------------------------------------------------------
    def update(self, frame_seconds: float) -> int:
        """Advance real time by one frame; run the ticks the accumulator grants."""
        from sim.clock import advance

        self.real_time += max(float(frame_seconds), 0.0)
        self.frame_seconds = float(frame_seconds)
        self.frames += 1
        self.instruments.frame()  # a slice of the basin job, even while paused
        if self.paused:
            self.alpha = 1.0
            return 0
        adv = advance(self.acc, frame_seconds, self.time_scale * self.dt_boost())
        self.acc, self.alpha = adv.acc, adv.alpha
        self._tick(adv.ticks)
        return adv.ticks

    def _tick(self, n: int) -> None:
        if n <= 0:
            return
        self.world.tick(n)
        self.frame_ticks += n
        self.instruments.after_ticks(n)
        if self.world.tick_count // STATS_EVERY != self._stats_tick:
            self._sample_stats()

    def _sample_stats(self) -> None:
        """Mean V and mean total energy of the alive balls (a strided sample when many)."""
        from sim.particles import ALIVE

        w = self.world
        self._stats_tick = w.tick_count // STATS_EVERY
        p = w.particles
        n = p.n
        if n == 0:
            return
        stride = max(1, math.ceil(n / STATS_SAMPLE))
        alive = p.status[::stride] == ALIVE
        if not alive.any():
            return
        pos = p.pos[::stride][alive]
        v = w.potential.value(pos)
        masses = np.array([r.mass if r.newtonian else 0.0 for r in w.rules])[p.rule[::stride][alive]]
        vel = p.vel[::stride][alive]
        ke = 0.5 * masses * np.einsum("ij,ij->i", vel, vel)
        with np.errstate(all="ignore"):
            loss = float(np.mean(v))
            energy = float(np.mean(v + ke))
        self.history.add(w.time, loss, energy)

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, surface, fps: float | None = None) -> None:
        """Draw one frame onto surface (the window, or any 32-bit surface)."""
        from render.arrows import draw_arrows
        from render.balls import rule_palette

        pygame = _pygame()
        self.screen = surface
        size = surface.get_size()
        if size != (self.view.w, self.view.h):
            self._resize(size)
        w = self.world
        draft = self.interacting()
        if self.instruments.basins_shown():  # a grey relief under the basin colours
            surface.blit(self.landscape.grey_surface(self.view, w.potential, draft), (0, 0))
        else:
            surface.blit(self.landscape.surface(self.view, w.potential, draft), (0, 0))
        if self.show["field"] and not draft:
            surface.blit(self.field.surface(self.view, w.potential), (0, 0))
        self.instruments.draw_map(surface)  # basin shading

        self.proj.project(w, self.view, self.alpha)
        rule_ids = w.particles.rule
        palette = rule_palette(w.rules)
        if self.show["trails"]:
            key = (self.view,)
            if key != self._trail_key:
                self.trails.reset(size)
                self._trail_key = key
            self.trails.fade(self.frame_ticks)
            self.trails.stamp(self.proj, rule_ids, palette)
            self.trails.draw(surface)
        self.frame_ticks = 0
        self.balls.draw(surface, self.proj, rule_ids, palette)
        self.instruments.draw_marks(surface)  # twin rings

        self._pick()
        if self.show["arrows"]:
            self._draw_ball_arrows(surface, draw_arrows)
        sel = self.selected()
        if sel is not None and self.proj.visible[sel]:
            c = (int(self.proj.sx[sel]), int(self.proj.sy[sel]))
            pygame.draw.circle(surface, (10, 10, 16), c, 11, 3)
            pygame.draw.circle(surface, (255, 255, 255), c, 10, 1)
        if self.drag is not None and self.drag.button == 1 and self.drag.moved:
            self._draw_throw(surface, draw_arrows)
        self._draw_hud(surface, fps)
        self.scene_ui.draw(surface)  # caption card or scene title, formula editor
        if self.shot_requested:
            self.shot_requested = False
            self.save_screenshot(surface)
        self.scene_ui.after_frame(surface)  # recording takes the frame, then the REC dot

    def _resize(self, size: tuple[int, int]) -> None:
        from render.view import View

        at_home = self.view == self.home
        self.home = View.fit(self.home_rect, size)
        self.view = self.home if at_home else self.view.resized(size)
        self.trails.reset(size)

    def _pick(self) -> None:
        m = self.mouse
        if m is None or self.proj.n == 0:
            self.hover = None
            return
        if self.proj.n > LARGE and self.frames % HOVER_EVERY_LARGE:
            if self.hover is not None and self.hover >= self.proj.n:
                self.hover = None
            return
        self.hover = self.proj.nearest(m[0] + 0.5, m[1] + 0.5, PICK_RADIUS)

    def selected(self) -> int | None:
        """The ball the HUD describes: under the cursor, else the last one dropped."""
        n = self.world.n
        for k in (self.hover, self.last_dropped):
            if k is not None and 0 <= k < n:
                return k
        return None

    def _draw_ball_arrows(self, surface, draw_arrows) -> None:
        from render.arrows import ARROW_LENGTH, ARROW_MAX, FORCE_COLOR, VELOCITY_COLOR, saturate
        from sim.clock import TICK_HZ

        w = self.world
        rows = np.flatnonzero(self.proj.visible)[:ARROW_MAX]
        if len(rows) == 0:
            return
        p = w.particles
        tails = np.column_stack([self.proj.sx[rows], self.proj.sy[rows]])
        newt = np.array([r.newtonian for r in w.rules])[p.rule[rows]]
        tick_time = np.array([r.tick_time for r in w.rules])[p.rule[rows]]
        vel = np.where(newt[:, None], p.vel[rows], p.pos[rows] - p.prev[rows])
        # where the ball would be in half a second of real time at ×1, length eased at the top
        disp = vel * (np.where(newt, tick_time, 1.0) * TICK_HZ * 0.5)[:, None] * self.view.scale
        disp[:, 1] *= -1.0
        length = np.hypot(disp[:, 0], disp[:, 1])
        with np.errstate(all="ignore"):
            eased = ARROW_LENGTH * np.tanh(length / ARROW_LENGTH)
            disp *= np.where(length > 0, eased / length, 0.0)[:, None]
        disp[~np.isfinite(disp)] = 0.0
        draw_arrows(surface, tails, tails + disp, VELOCITY_COLOR)
        g = w.potential.grad(p.pos[rows])
        mag = np.hypot(g[:, 0], g[:, 1])
        self.field.surface(self.view, w.potential)  # its median |∇V| sets the scale
        length = saturate(mag, self.field.ref, 0.75 * ARROW_LENGTH)
        with np.errstate(all="ignore"):
            u = -g / mag[:, None]
        u[~np.isfinite(u)] = 0.0
        u[:, 1] *= -1.0
        draw_arrows(surface, tails, tails + u * length[:, None], FORCE_COLOR)

    def _draw_throw(self, surface, draw_arrows) -> None:
        pygame = _pygame()
        d = self.drag
        a = np.array([d.start], float) + 0.5
        b = np.array([self.mouse], float) + 0.5
        draw_arrows(surface, a, b, (255, 255, 255))
        pygame.draw.circle(surface, (255, 255, 255), d.start, 6, 2)
        p0 = np.array(self.view.pixel_to_world(*d.start))
        p1 = np.array(self.view.pixel_to_world(*self.mouse))
        speed = float(np.hypot(*(p1 - p0))) / self.throw_time()
        from render import hud

        keeps = self.world.rule.newtonian or self.world.rule.name in ("momentum", "nesterov")
        note = "" if keeps else "   (no momentum: kept by momentum, nesterov, newton, langevin)"
        s = self.fonts.text(f"v = {hud.fmt(speed, 3)}{note}", self.fonts.small, (255, 255, 255))
        surface.blit(s, (self.mouse[0] + 12, self.mouse[1] - 18))

    def _draw_hud(self, surface, fps: float | None) -> None:
        from render import hud
        from render.balls import RULE_COLORS

        H = self.hud
        H.panels = []
        w = self.world
        W, Hh = surface.get_size()
        M = hud.MARGIN
        alive, diverged = w.counts()
        r = w.rule
        count = [(f"{alive:,} ball{'s' if alive != 1 else ''}" + (" alive" if diverged else ""),
                  "body", hud.TEXT)]
        if diverged:
            count.append((f"   {diverged:,} diverged", "body", hud.WARN))
        clock = (f"t = {hud.fmt(w.time, 5)}    tick {w.tick_count:,}" if r.newtonian
                 else f"iteration {w.tick_count:,}")
        timeline = [(f"{clock}    time {time_scale_label(self.time_scale)}", "body", hud.TEXT)]
        boost = self.dt_boost()
        if boost > 1.0:  # the mass control's smaller dt, made up with more ticks a second
            timeline.append((f"  ({boost:.3g}× ticks: small dt)", "body", hud.DIM))
        if self.paused:
            timeline.append(("    PAUSED", "body", hud.ACCENT))
        if fps is not None:
            timeline.append((f"    {fps:.0f} fps", "body", hud.DIM))
        formula = getattr(w.potential, "formula", "")
        lines = [hud.Line([(w.potential.name, "title", hud.TEXT)])]
        if formula:
            lines.append(hud.Line([(f"V = {formula}", "small", hud.DIM)]))
        lines += [
            hud.Line([("● ", "body", RULE_COLORS.get(r.name, hud.TEXT)),
                      (r.label().replace("  ", "   "), "body", hud.TEXT)]),
            hud.Line(count),
            hud.Line(timeline),
        ]
        H.text_panel(surface, lines, "topleft", (M, M), min_width=300)
        if w.potential is not None and self.landscape.shading is not None:
            H.colorbar(surface, self.landscape.shading, (W - M, M), grey=self.instruments.basins_shown())
        self._ball_panel(surface)
        hint = H.text_panel(surface, [hud.Line([("H", "body", hud.ACCENT), (":", "body", hud.DIM),
                                                (" help", "body", hud.DIM)])],
                            "bottomleft", (M, Hh - M))
        del hint
        self.instruments.draw_panels(surface)  # before the axes: tick labels keep clear
        H.axes(surface, self.view)
        now = self.real_time
        if self.message is not None:
            text, t0, dur, col = self.message
            if now - t0 < dur:
                H.toast(surface, text, now - t0, dur, col, raise_by=44 if self._toast_live() else 0)
            else:
                self.message = None
        if self._toast_live():
            text, t0, dur, col = self.toast_msg
            H.toast(surface, text, now - t0, dur, col)
        if self.show["help"]:
            H.help(surface, [p.name for p in self.potentials])

    def _toast_live(self) -> bool:
        return self.toast_msg is not None and self.real_time - self.toast_msg[1] < self.toast_msg[2]

    def _ball_panel(self, surface) -> None:
        from render import hud

        H = self.hud
        W, Hh = surface.get_size()
        M = hud.MARGIN
        w = self.world
        k = self.selected()
        lines: list = []
        if k is None:
            lines.append(hud.Line([("click: drop a ball   drag: throw   shift+click: 200",
                                    "small", hud.DIM)]))
        else:
            p = w.particles
            pos = p.pos[k:k + 1]
            rule = w.rules[int(p.rule[k])]
            v = float(w.potential.value(pos)[0])
            g = w.potential.grad(pos)[0]
            vel = p.vel[k] if rule.newtonian else (p.pos[k] - p.prev[k])
            ke = 0.5 * rule.mass * float(vel @ vel) if rule.newtonian else None
            which = "under the cursor" if k == self.hover else "last dropped"
            diverged = bool(p.status[k])
            lines.append(hud.Line([(f"ball #{k}  ", "body", hud.TEXT), (which, "small", hud.DIM)]
                                  + ([("   diverged", "small", hud.WARN)] if diverged else [])))
            lines.append(hud.Line([(f"x = {hud.fmt(pos[0, 0])}    y = {hud.fmt(pos[0, 1])}",
                                    "body", hud.TEXT)]))
            lines.append(hud.Line([(f"V = {hud.fmt(v)}    |∇V| = {hud.fmt(float(np.hypot(*g)))}",
                                    "body", hud.TEXT)]))
            if ke is not None:
                lines.append(hud.Line([(f"KE = {hud.fmt(ke)}    E = V + KE = {hud.fmt(v + ke)}",
                                        "body", hud.TEXT)]))
            else:
                lines.append(hud.Line([(f"step = {hud.fmt(float(np.hypot(*vel)))} per tick",
                                        "body", hud.TEXT)]))
        newt = any(r.newtonian for r in w.rules)
        legend = [("━ mean V", "small", hud.LOSS_COLOR)]
        if newt:
            legend.append(("    ━ mean E", "small", hud.ENERGY_COLOR))
        lines.append(hud.Line(legend))
        pw, ph = hud.PLOT_SIZE
        rect = H.text_panel(surface, lines, "bottomright", (W - M, Hh - M), min_width=pw + 56,
                            extra=ph + 8)
        plot = _pygame().Rect(rect.x + hud.PAD, rect.bottom - hud.PAD - ph, pw, ph)
        H.plot(surface, self.history, plot, newt)


def time_scale_label(s: float) -> str:
    if s >= 1:
        return f"×{s:g}"
    return f"÷{1 / s:g}"


def screenshot_path(folder: str, now: datetime.datetime | None = None) -> str:
    """newton-descent-YYYYmmdd-HHMMSS.png in folder, with -1, -2 ... so nothing is overwritten."""
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = os.path.join(folder, f"newton-descent-{stamp}")
    path = base + ".png"
    k = 1
    while os.path.exists(path):
        path = f"{base}-{k}.png"
        k += 1
    return path


def save_png(surface, path: str) -> None:
    """Write surface as PNG, refusing to replace an existing file."""
    pygame = _pygame()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # fails if it exists
    os.close(fd)
    try:
        pygame.image.save(surface, path)
    except Exception:
        try:
            os.remove(path)
        except OSError:
            pass
        raise


def run(*, potential, rule, seed: int = 0, particles: int = 0, frames: int | None = None,
        screenshot: str | None = None, size: tuple[int, int] = DEFAULT_SIZE, **extra) -> int:
    """Open the window (frames=None) or run the same loop headless for `frames` frames.

    potential: a Potential or a built-in name; rule: a Rule or a rule name. Returns the exit
    status. Extra keywords understood: `starts` (a list of (x, y) drop points), `rule_given`
    (False: the user gave no step size, lr or dt, so the landscape's suggested one
    applies), `scene` ((world, info) from sim.scene.load_scene: its world, view, paused state,
    caption, instruments), `instruments` ({name: on}), `play` (run even if the scene starts
    paused), `record` (headless: record the frames to this .gif/.mp4; see render/scene_ui.py).
    Unknown keyword arguments are ignored. A window opened with no balls asked for (and no
    scene) starts with DEFAULT_BALLS rolling.
    """
    from sim.dynamics import Rule
    from sim.potentials import get_potential
    from sim.world import World

    if isinstance(potential, str):
        potential = get_potential(potential)
    if isinstance(rule, str):
        rule = Rule(rule)
    if not extra.get("rule_given", True):
        from render.tuning import suggest

        rule = suggest(potential, rule)
    starts = np.asarray(extra.get("starts") or [], dtype=np.float64).reshape(-1, 2)
    headless = frames is not None
    saved_env = {k: os.environ.get(k) for k in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER")}
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    pygame = _pygame()
    try:
        if not headless and _no_display_hint():
            print(NO_DISPLAY, file=sys.stderr)
            return 2
        try:
            pygame.display.init()
            if not headless and pygame.display.get_driver() in ("dummy", "offscreen"):
                raise pygame.error("no real video driver")
            flags = 0 if headless else pygame.RESIZABLE
            pygame.display.set_caption(WINDOW_TITLE)  # before the window exists: no flicker
            screen = pygame.display.set_mode(tuple(int(v) for v in size), flags)
        except pygame.error:
            if headless:
                raise
            print(NO_DISPLAY, file=sys.stderr)
            return 2
        pygame.display.set_caption(WINDOW_TITLE)
        pygame.font.init()
        scene = extra.get("scene")  # (world, SceneInfo) from sim.scene.load_scene
        world = scene[0] if scene else World(potential, rule, seed=seed)
        if extra.get("batch") and not scene:
            world.set_batch(extra["batch"])
        app = App(world, screen.get_size(), seed=seed, headless=headless)
        try:
            if len(starts):
                world.drop(starts)
            if particles:  # the potential's view, as `--steps` does: same seed, same balls
                world.drop_random(int(particles))
            elif not headless and not len(starts) and not scene:
                world.drop_random(DEFAULT_BALLS)
        except ValueError as e:  # CapacityError: more balls than the program holds
            print(f"newton-descent: error: {e}", file=sys.stderr)
            return 2
        app.trails.forget_paths()
        problem = app.scene_ui.start(**extra)  # scene, instruments, play, record
        if problem:
            print(problem, file=sys.stderr)
            return 2
        if len(starts) or particles:  # racing / twins on: the seeded balls race / get twins
            app.instruments.seed_drops()
        if headless:
            status = _run_headless(app, screen, int(frames), screenshot)
        else:
            status = _run_window(app)
        return app.scene_ui.close(status, report=print)  # a recording in progress is saved
    finally:
        pygame.display.quit()
        pygame.font.quit()
        if headless:
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _no_display_hint() -> bool:
    """On Linux with neither DISPLAY nor WAYLAND_DISPLAY (and no SDL driver asked for) there is
    nothing to open; say so without letting SDL probe (its probes print to stderr)."""
    if not sys.platform.startswith("linux") or os.environ.get("SDL_VIDEODRIVER"):
        return False
    return not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def _run_headless(app: App, screen, frames: int, screenshot: str | None) -> int:
    pygame = _pygame()
    t0 = time.perf_counter()
    for _ in range(frames):
        for event in pygame.event.get():
            app.handle(event)
        app.update(NOMINAL_FRAME)
        app.draw(screen)
        pygame.display.flip()
    elapsed = time.perf_counter() - t0
    if screenshot:
        from render.recorder import RecorderError, save_screenshot

        try:  # atomic, never over an existing file
            out = os.fspath(save_screenshot(screen, screenshot))
        except RecorderError as e:
            print(f"newton-descent: error: {e}", file=sys.stderr)
            return 2
        if out != os.fspath(screenshot):
            print(f"{screenshot} exists: screenshot saved as {out}")
    fps = frames / elapsed if elapsed > 0 else float("inf")
    w, h = screen.get_size()
    print(f"{frames} frames, {app.world.n} particles, {w}x{h}: {fps:.1f} fps")
    return 0


def _run_window(app: App) -> int:
    pygame = _pygame()
    clock = pygame.time.Clock()
    clock.tick()
    try:
        while app.running:
            frame = clock.tick(FPS_CAP) / 1000.0
            for event in pygame.event.get():
                app.handle(event)
            if not app.running:
                break
            app.update(frame)
            screen = pygame.display.get_surface()
            app.draw(screen, fps=clock.get_fps())
            pygame.display.flip()
    except KeyboardInterrupt:
        return 130
    return app.status
