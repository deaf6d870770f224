"""The instruments in the window: which are on, the registry of their panels, the basin view,
and the twin rings over the balls.

race and twin change what a drop adds, so their state is the runtime's (sim/runtime.py);
ledger, stability, heat and basins only show. Panels (render/instrument_panels.py) measure
themselves and are placed by render/layout.py clear of the HUD.
"""
from __future__ import annotations

import math

import pygame

from render.panels.basins_ui import BasinsView
from render.look.camera import Camera
from render.panels.instrument_panels import PANEL_WIDTH, RING_OUTLINE, StepView
from render.panels.layout import PanelLayout
from render.panels.panel import Context, Panel
from render.panels.registry import BALLS, INSTRUMENTS, NAMES, WINDOW
from render.why.maps_ui import PANELS as MAP_PANELS
from render.why.maps_ui import MapsUI
from sim.runtime.runtime import Runtime

RING_RADIUS = 9  # pixels: a twin's ring
MAP_NOTES = {"plane": "hyperparameter plane", "phase": "phase portrait", "edge": "edge of stability",
             "breaks": "where the step breaks", "modified": "the loss the rule really follows"}
PAIRS_DRAWN_MAX = 3000  # twin rings drawn per frame at most


class Instruments:
    """Instrument state between frames and the panel registry."""

    def __init__(self, runtime: Runtime, camera: Camera, headless: bool = False, fonts=None) -> None:
        self.runtime = runtime
        self.camera = camera
        self.headless = headless
        # the window's own instruments (render/panels/registry.py); the data pane is on from
        # the start and shows whenever the landscape is made from data
        self.on: dict[str, bool] = {i.name: i.on for i in INSTRUMENTS if i.owner == WINDOW}
        self.panels: dict[str, Panel] = {i.name: i.panel_class()() for i in INSTRUMENTS if i.panel}
        self.step = self.panels["step"] = StepView()  # shown while a ball is chosen
        self.race, self.ledger, self.data = self.panels["race"], self.panels["ledger"], self.panels["data"]
        self.maps = MapsUI(fonts.small if fonts is not None else pygame.font.Font(None, 16))
        self.basins = BasinsView(sync=headless)
        self.layout = PanelLayout(PANEL_WIDTH)
        self.rects: dict[str, pygame.Rect] = {}  # where each panel was drawn this frame
        self.readouts: dict = {}  # what each panel drew this frame (sim.instruments.readouts dicts)
        self._sprites: dict[tuple[int, int, int], pygame.Surface] = {}

    # == state ====================================================================================
    def is_on(self, name: str) -> bool:
        return self.states()[name]

    def states(self) -> dict[str, bool]:
        out = dict(self.runtime.balls.toggles())
        out.update(self.on)
        out.update(self.maps.on)
        return {name: out[name] for name in NAMES}

    def set(self, name: str, on: bool = True) -> None:
        """Switch one instrument on or off (KeyError for a name this window does not know)."""
        if name in self.balls_toggles:
            self.runtime.balls.set_toggle(name, on)
            return
        if name in self.maps.on:
            self.maps.set(name, on)
            return
        if name not in self.on:
            raise KeyError(name)
        on = bool(on)
        was = self.on[name]
        self.on[name] = on
        if name == "basins":
            if on and not was:
                self.basins.start(self.runtime.world, self.camera.view)
            elif not on:
                self.basins.stop()
        elif on and not was and name in self.panels:
            self.panels[name].shown()

    balls_toggles = tuple(i.name for i in INSTRUMENTS if i.owner == BALLS)

    def toggle(self, name: str) -> None:
        if name in self.balls_toggles:
            self.runtime.balls.toggle(name)
            return
        if name in self.maps.on:
            self.maps.set(name, not self.maps.on[name])
            note = MAP_NOTES[name]
            if name == "modified":
                from sim.maps.why import modified_title
                note = modified_title(self.runtime.world.rule)
            self.runtime.say(f"{note} {'on' if self.maps.on[name] else 'off'}")
            return
        self.set(name, not self.on[name])
        on = self.on[name]
        if name == "basins":
            self.runtime.say(f"basins of {self.runtime.world.rule.name}: computing   (Esc cancels)"
                             if on else "basins off")
        else:
            self.runtime.say(f"{name} {'on' if on else 'off'}")

    def world_changed(self) -> None:
        """A new world (a scene, a scrub): the ledger and basins start over, and a network
        retraining on the old world's data is dropped (its landscape may be the same object)."""
        for panel in self.panels.values():
            panel.world_changed()
        self.basins.old_job = None
        if self.on["basins"]:
            self.basins.start(self.runtime.world, self.camera.view)

    # == input ====================================================================================
    def escape(self) -> bool:
        """Esc cancels the basin job or takes the basin map away (before it would quit)."""
        if not self.on["basins"]:
            return False
        running = self.basins.running
        self.set("basins", False)
        self.runtime.say("basins cancelled" if running else "basins off")
        return True

    def click(self, pos) -> bool:
        """A left click: a race chip toggles its lane; on the plane, its setting; a click on a
        panel drops nothing."""
        if self.runtime.balls.race.on and self.race.click(pos, self.runtime):
            return True
        if self.maps.on["plane"] and "plane" in self.rects and self.rects["plane"].collidepoint(pos):
            new = self.maps.click(self.runtime.world.rule, pos)
            if new is not None:
                self.runtime.adopt(new)
            return True
        return any(r.collidepoint(pos) for r in self.rects.values())

    def claim(self, event) -> bool:
        """Esc deselects the chosen ball, else cancels basins; a left click on a panel."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            if self.runtime.balls.selected is not None:  # Esc deselects before it quits
                self.runtime.select(None)
                return True
            return self.escape()
        states = self.states()
        if any(states.get(n) and p.claim(event, self.runtime) for n, p in self.panels.items()):
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 0) == 1:
            return self.click(event.pos)
        return False


    # == time =====================================================================================
    def frame(self, now: float) -> None:
        """Once per frame, paused or not: follow the world, advance the basin job a slice."""
        self.runtime.balls.sync()
        for panel in self.panels.values():  # the data pane: a slice of the network's retrain
            panel.frame(self.runtime, now, self.headless)
        self.basins.last_ticks = 0
        if self.on["basins"]:
            self.basins.frame(self.runtime.world, self.camera.view, self.camera.interacting(now))

    def after_ticks(self, frames: int) -> None:
        """The world ran this frame: a sample for each panel that is on (the ledger's plot)."""
        for name, on in self.states().items():
            if on and name in self.panels:
                self.panels[name].after_ticks(self.runtime, frames)

    # == drawing ==================================================================================
    def basins_shown(self) -> bool:
        return self.basins.shown()

    def draw_map(self, surface: pygame.Surface, ctx: Context) -> None:
        """Over the map, under the balls: basin colours, where the step breaks, the modified loss
        (the maps of why follow the chosen ball, else the point under the cursor)."""
        self.basins.draw_map(surface, self.camera.view)
        if not any(self.maps.on.values()):
            return
        w, row = ctx.world, ctx.runtime.balls.selected
        focus = None
        if row is not None and row < w.n:
            focus = w.particles.pos[row]
        else:
            focus = ctx.cursor_point()
        self.maps.frame(w, ctx.view, focus, row if row is not None and row < w.n else None)
        self.maps.draw_map(surface, w, ctx.view)

    def _sprite(self, color: tuple[int, int, int]) -> pygame.Surface:
        s = self._sprites.get(color)
        if s is None:
            from render.map.sprites import make_sprite

            s = self._sprites[color] = make_sprite(color)
        return s

    def draw_marks(self, surface: pygame.Surface, proj) -> None:
        """Each twin as a ring around its ball; the ball redrawn on top of its twin's dot."""
        w = self.runtime.world
        if not len(self.runtime.balls.pairs):
            return
        b, t = self.runtime.balls.pairs.valid(min(proj.n, w.n))
        vis = proj.visible[b] & proj.visible[t]
        b, t = b[vis][:PAIRS_DRAWN_MAX], t[vis][:PAIRS_DRAWN_MAX]
        if not len(b):
            return
        from render.map.palette import rule_palette

        pal = rule_palette(w.rules)
        rid_b, rid_t = w.particles.rule[b].tolist(), w.particles.rule[t].tolist()
        bx, by = proj.sx[b].tolist(), proj.sy[b].tolist()
        tx, ty = proj.sx[t].tolist(), proj.sy[t].tolist()
        for i in range(len(b)):
            spr = self._sprite(pal[rid_b[i]])
            h = spr.get_width() // 2
            surface.blit(spr, (int(math.floor(bx[i])) - h, int(math.floor(by[i])) - h))
            c = (int(math.floor(tx[i])), int(math.floor(ty[i])))
            pygame.draw.circle(surface, RING_OUTLINE, c, RING_RADIUS + 1, 4)
            pygame.draw.circle(surface, pal[rid_t[i]], c, RING_RADIUS, 2)

    def draw_panels(self, surface: pygame.Surface, ctx: Context, obstacles: list[pygame.Rect],
                    fonts) -> list[pygame.Rect]:
        """Every instrument panel that is on, laid out clear of `obstacles` (the HUD's panels);
        the basin progress bar or summary on top. Returns the rects drawn (new obstacles)."""
        self.rects = {}
        self.readouts = {}
        drawn: list[pygame.Rect] = []
        if self.on["basins"] and self.basins.job is not None:
            r = self.basins.draw_status(surface, fonts, obstacles)
            drawn.append(r)
            self.rects["basins"] = r
        states = self.states()
        for name, panel in self.panels.items():
            if not panel.applies(ctx.world):
                states[name] = False
                panel.idle()
        names = [n for n in NAMES if states[n] and n in self.panels]
        names += self.maps.panels_on()
        if self.runtime.balls.selected is not None:
            names.append("step")
        wanted = [(n, self.maps.measure(n, PANEL_WIDTH) if n in MAP_PANELS else self.panels[n].measure(ctx))
                  for n in names]
        if not wanted:
            return drawn
        slots = self.layout.place(surface.get_size(), wanted, list(obstacles) + drawn)
        for name, h in wanted:
            slot = slots.get(name)
            if slot is None:
                continue
            rect = pygame.Rect(slot.x, slot.y, slot.w, h)
            if name in MAP_PANELS:
                self.maps.draw(name, surface, rect, ctx.mouse)
            else:
                self.readouts[name] = self.panels[name].draw(surface, rect, ctx)
            self.rects[name] = rect
            drawn.append(rect)
        return drawn

