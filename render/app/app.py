"""The window's composition: a runtime (sim/runtime.py) with a camera, an input router, the
instruments, scenes, recording and a frame that draws it all.

`App` is driven the same way by the real window, the headless loop and the tests:
`handle(event)` for input, `update(frame_seconds)` for time, `draw(surface)` for the picture.
The loops that drive it are render/loop.py (`run`).
"""
from __future__ import annotations

from typing import Any

from render.hud.basics import Fonts, History
from render.hud.hud import Hud
from render.look.theme import MARGIN
from render.look.camera import Camera
from render.controls.widget import WIDTH
from render.controls.controls import ControlPanel
from render.controls.sections import panel_state
from render.controls.data_controls import DataUI
from render.app.commands import Commands
from render.app.frame import Frame, Layers, Parts
from render.app.map_actions import MapActions
from render.app.screenshots import Screenshots
from render.input.router import Gestures, InputRouter
from render.panels.instruments_ui import Instruments
from render.input.keys import Cmd
from render.hud.notices import Notices
from render.files.recording_ui import RecordingUI
from render.files.scene_ui import InstrumentHooks, SceneUI
from render.timeline.timeline_ui import TimelineUI
from sim.runtime.runtime import Runtime
from sim.core.events import Change

DEFAULT_SIZE = (1280, 800)
NOMINAL_FRAME = 1.0 / 60.0  # seconds of real time per headless frame
STATS_EVERY = 4  # ticks between samples of the live plot
STATS_SAMPLE = 10_000  # at most this many balls enter the plot's means (evenly strided)
VIEW_TOGGLES = ("trails", "arrows", "field")  # drawn by the frame itself; scenes save them
DEFAULT_SHOW = {"trails": True, "arrows": False, "field": False}


class App:
    """The window between frames: the runtime and everything that shows it."""

    def __init__(self, world, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0,
                 headless: bool = False) -> None:
        from sim.data.catalog import POTENTIALS

        self.headless = headless
        self.runtime = Runtime(world, seed=seed)
        self.camera = Camera(world.potential.view, size, live=not headless)
        self.potentials = list(POTENTIALS.values())
        self.show = {"trails": True, "arrows": False, "field": False, "help": False}
        self.running = True
        self.status = 0
        self.real_time = 0.0  # seconds of (nominal, when headless) frame time so far
        self.frame_seconds = NOMINAL_FRAME  # the last frame's length (real in the window)
        self.frames = 0
        self.screen = None  # the surface last drawn
        self.fonts = Fonts()
        self.hud = Hud(self.fonts)
        self.history = History()
        self.layers = Layers()
        self.notices = Notices()
        self.instruments = Instruments(self.runtime, self.camera, headless, self.fonts)
        self.scene_ui = SceneUI(self.runtime, self.camera,
                                InstrumentHooks(self.apply_instruments, self.instrument_states,
                                                lambda d: self.view3d.apply_scene(d),
                                                lambda: self.view3d.scene_state()))
        self.recording = RecordingUI(self.runtime, headless)
        self.data_ui = DataUI(self.runtime, lambda: self.camera.go_home(self.runtime.world.potential.view),
                              self.instruments.data.retrain.start)
        self.map = MapActions(self.runtime, self.camera, self.layers, lambda: self.real_time)
        self.gestures = Gestures(self.map)
        from render.view3d.ui import View3D

        self.view3d = View3D(self.runtime, self.camera, self.gestures, self.show,
                             lambda: self.real_time, live=not headless)
        self.runtime.subscribe(self.view3d.on_change)
        self.controls = ControlPanel(self.fonts, self.run_command, self.runtime.params.set_value)
        self.controls_shown = not headless  # headless pictures stay as they were (--show controls)
        self.timeline_ui = TimelineUI(self.fonts, shown=not headless)  # (--show timeline)
        self.screenshots = Screenshots(self.runtime.say)
        self.commands = Commands(self)
        self.router = InputRouter(
            [self.scene_ui.claim_modal, self.data_ui.claim, self._claim_controls,
             lambda e: self.timeline_ui.shown and self.timeline_ui.claim(e, self.runtime),
             lambda e: self.scene_ui.claim_caption(e, self.show["help"]), self.instruments.claim,
             self.view3d.claim],
            self.gestures, self.commands.table(), self.quit)
        self.frame = Frame(Parts(self.runtime, self.camera, self.gestures, self.instruments,
                                 self.scene_ui, self.recording, self.notices, self.hud, self.history,
                                 self.layers, self.show, [p.name for p in self.potentials],
                                 self.view3d))
        self._stats_tick = -1
        self.runtime.subscribe(self._on_change)
        self.runtime.listen(lambda note: self.notices.show(note, self.real_time))
        self._sample_stats()

    # -- what tests and scripts read -------------------------------------------------------------
    @property
    def world(self):
        """The runtime's world."""
        return self.runtime.world

    @property
    def view(self):
        """The camera's view of the map."""
        return self.camera.view

    def selected(self) -> int | None:
        """The chosen ball's row (None: none)."""
        return self.frame.selected()

    # -- following the runtime -------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        """Follow a runtime change: trails, hover, plots, instruments, the view."""
        L = self.layers
        if change is Change.TICKS:
            self.instruments.after_ticks(self.frames)
            if self.runtime.world.tick_count // STATS_EVERY != self._stats_tick:
                self._sample_stats()
            return
        if change is Change.DATA:  # a draft map first, as on zoom
            self.camera.touch(self.real_time)
        if change is Change.LANDSCAPE:  # the balls stay; the view fits the new landscape
            self.camera.go_home(self.runtime.world.potential.view)
        else:
            L.trails.forget_paths()
            self.frame.hover = None
            if change is Change.POPULATION:
                return
            L.trails.reset()  # RESET, WORLD, SCRUB: every path starts over
        if change in (Change.WORLD, Change.SCRUB):  # no ticks to fade the trails by
            self.frame.forget_ticks()
        if change is Change.WORLD:
            self.instruments.world_changed()
        self.history.clear()
        self._sample_stats()

    def _sample_stats(self) -> None:
        """Mean V and mean total energy of the alive balls (a strided sample when many)."""
        from sim.core.quantity import mean_loss_energy

        w = self.runtime.world
        self._stats_tick = w.tick_count // STATS_EVERY
        got = mean_loss_energy(w, STATS_SAMPLE)
        if got is not None:
            self.history.add(w.time, *got)
            self.timeline_ui.sample(w.tick_count, *got)

    # -- input -----------------------------------------------------------------------------------
    def handle(self, event) -> None:
        """Turn one pygame event into commands."""
        import pygame

        if event.type != pygame.MOUSEMOTION:  # a drag's last motion first: the order of input
            self.timeline_ui.flush(self.runtime)
        self.router.handle(event)

    def _claim_controls(self, event) -> bool:
        """The control panel takes the event (when shown)."""
        return self.controls_shown and self.controls.claim(event)

    def run_command(self, cmd: Cmd, arg: Any = None) -> None:
        """What a key bound to (cmd, arg) does (the control panel's buttons)."""
        self.router.commands[cmd](arg, False)

    def toggle_controls(self) -> None:
        """Show the control panel, or open / collapse it."""
        if not self.controls_shown:
            self.controls_shown, self.controls.open = True, True
        else:
            self.controls.toggle()
        self.runtime.say(f"control panel {'open' if self.controls.open else 'collapsed'}")

    # -- the window's own commands ---------------------------------------------------------------
    def quit(self) -> None:
        """The loop ends after this frame."""
        self.running = False

    def toggle(self, what: str) -> None:
        """One view flag on or off (trails, arrows, field, help)."""
        self.show[what] = not self.show[what]
        if what == "trails":
            self.layers.trails.reset()
        if what != "help":
            self.runtime.say(f"{what} {'on' if self.show[what] else 'off'}")

    def apply_instruments(self, instruments: dict[str, bool], reset: bool = False) -> None:
        """Switch instruments on or off by name. reset: the ones not named go to their
        defaults (off, except trails and the data pane). Names the window does not know are
        ignored."""
        for name in VIEW_TOGGLES:
            if name in instruments or reset:
                on = bool(instruments.get(name, DEFAULT_SHOW[name]))
                if self.show.get(name) != on:
                    self.show[name] = on
                    if name == "trails":
                        self.layers.trails.reset()
        if "help" in instruments:
            self.show["help"] = bool(instruments["help"])
        if "controls" in instruments:  # the panel is the window's, not the scene's: never reset
            self.controls_shown = self.controls.open = bool(instruments["controls"])
        if "timeline" in instruments:  # likewise the timeline strip
            self.timeline_ui.shown = bool(instruments["timeline"])
        from render.view3d.ui import SHOW_NAMES

        for name, mode in SHOW_NAMES.items():  # the map area's mode is the window's too
            if instruments.get(name):
                self.view3d.set_mode(mode)
        from render.panels.registry import NAMES

        for name in NAMES:
            if reset or name in instruments:
                self.instruments.set(name, bool(instruments.get(name, name == "data")))

    def instrument_states(self) -> dict[str, bool]:
        """What is on now, to be saved with a scene."""
        out = {name: bool(self.show.get(name, False)) for name in VIEW_TOGGLES}
        out.update(self.instruments.states())
        return out

    def close(self, status: int = 0, report=None) -> int:
        """The loop is over: a scene being saved and a recording in progress are finished
        (never lost). `report` (e.g. print) gets a line about each. Returns the exit status."""
        self.scene_ui.saves.finish(report)
        return self.recording.close(status, report)

    # -- time and drawing ------------------------------------------------------------------------
    def update(self, frame_seconds: float) -> int:
        """Advance real time by one frame; run the ticks the accumulator grants."""
        self.real_time += max(float(frame_seconds), 0.0)
        self.frame_seconds = float(frame_seconds)
        self.frames += 1
        self.timeline_ui.flush(self.runtime)  # the frame's scrub, once for all its motions
        self.instruments.frame(self.real_time)  # a slice of the basin job, even while paused
        return self.runtime.advance(frame_seconds)

    def draw(self, surface, fps: float | None = None) -> None:
        """Draw one frame onto surface (the window, or any 32-bit surface): the map and its
        panels, and the control panel at the right edge when it is shown."""
        import pygame

        self.screen = surface
        self.timeline_ui.flush(self.runtime)
        self.scene_ui.saves.poll(self.scene_ui.tell)  # "saving ... 40%", then where it went
        W, H = surface.get_size()
        pw = self.controls.width() if self.controls_shown and W > 2 * WIDTH else 0
        sh = self.timeline_ui.height() if H > 4 * self.timeline_ui.height() else 0
        area = surface.subsurface((0, 0, W - pw, H - sh)) if pw or sh else surface
        self.frame.draw(area, self.real_time, self.frames, fps)
        self.data_ui.draw(area, self.frame.editor_font, MARGIN)
        if sh:
            self.timeline_ui.draw(surface, pygame.Rect(0, H - sh, W - pw, sh), self.runtime)
        else:
            self.timeline_ui.rect = None
        if pw:
            self.controls.draw(surface, pygame.Rect(W - pw, 0, pw, H),
                               panel_state(self.runtime, self.show, self.instruments, self.potentials))
        else:
            self.controls.rect = None
        self.screenshots.after_draw(surface)
        if self.recording.take(surface, self.frame_seconds):  # then the REC panel, on screen only
            self.frame.draw_rec(surface)


