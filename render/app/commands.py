"""The window's key table: each `Cmd` (render/input/keys.py) to what it does, on the runtime,
its params and switches, the camera, the scenes, the instruments, the recording and the view
flags; and the commands that are the window's own (a landscape picked from its list, the scene
list)."""
from __future__ import annotations

from typing import Any

from render.input.keys import Cmd
from sim.data import commands as data_commands


class Commands:
    """The commands of one App (`app`: the window's parts, read when a command runs)."""

    def __init__(self, app) -> None:
        self.app = app

    def table(self) -> dict[Cmd, Any]:
        """Cmd -> f(arg, shift): what a key bound to (cmd, arg) does."""
        app = self.app
        rt, sc = app.runtime, app.scene_ui
        return {
            Cmd.PAUSE: lambda a, s: rt.toggle_pause(),
            Cmd.STEP: lambda a, s: rt.single_step(),
            Cmd.RULE: lambda a, s: rt.switch.set_rule(a),
            Cmd.CYCLE_RULE: lambda a, s: rt.switch.cycle_rule(a),
            Cmd.POTENTIAL: lambda a, s: self.set_potential_index(a),
            Cmd.CYCLE_POTENTIAL: lambda a, s: self.cycle_potential(a),
            Cmd.STEP_SIZE: lambda a, s: rt.params.scale_step(a),
            Cmd.FRICTION: lambda a, s: rt.params.scale_friction(a),
            Cmd.TEMPERATURE: lambda a, s: rt.params.scale_temperature(a),
            Cmd.TIME_SCALE: lambda a, s: rt.scale_time(a),
            Cmd.RESTART: lambda a, s: rt.balls.restart(),
            Cmd.REWIND: lambda a, s: rt.rewind(),
            Cmd.CLEAR: lambda a, s: rt.balls.clear(),
            Cmd.TOGGLE: lambda a, s: app.toggle(a),
            Cmd.RESET_VIEW: lambda a, s: app.camera.go_home(),
            Cmd.SAVE_SCENE: lambda a, s: sc.save(),
            Cmd.NEXT_SCENE: lambda a, s: sc.cycle(-1 if s else +1),
            Cmd.SCENE_LIST: lambda a, s: self.open_scene_list(),
            Cmd.FORMULA: lambda a, s: sc.open_editor(app.router.last_key_text or None),
            Cmd.CAPTION: lambda a, s: sc.toggle_caption(),
            Cmd.SCREENSHOT: lambda a, s: app.screenshots.request(),
            Cmd.RECORD: lambda a, s: app.recording.toggle(mp4=s),
            Cmd.INSTRUMENT: lambda a, s: app.instruments.toggle(a),
            Cmd.MASS: lambda a, s: rt.params.scale_mass(a),
            Cmd.INTEGRATOR: lambda a, s: rt.params.cycle_integrator(),
            Cmd.SCHEDULE: lambda a, s: rt.params.cycle_schedule(),
            Cmd.CONTROLS: lambda a, s: app.toggle_controls(),
            Cmd.LOAD_DATA: lambda a, s: app.data_ui.open_entry(),
            Cmd.DATA_SET: lambda a, s: app.data_ui.use_builtin(a),
            Cmd.BATCH: lambda a, s: data_commands.set_batch(rt, a) if a is not None else
            data_commands.cycle_batch(rt, -1 if s else +1),
            Cmd.VIEW3D: lambda a, s: app.view3d.cycle(),
            Cmd.RESET_3D: lambda a, s: app.view3d.reset(),
            Cmd.QUIT: lambda a, s: app.quit(),
        }

    def set_potential_index(self, index: int) -> None:
        """The landscape at `index` of the window's list (a data landscape comes back with its data)."""
        app = self.app
        if 0 <= index < len(app.potentials):
            app.runtime.switch.set_potential(app.runtime.switch.landscape_named(app.potentials[index]))

    def cycle_potential(self, direction: int) -> None:
        """The next (or previous) landscape of the window's list."""
        app = self.app
        names = [p.name for p in app.potentials]
        cur = app.runtime.world.potential.name
        i = names.index(cur) if cur in names else (-1 if direction > 0 else 0)
        self.set_potential_index((i + direction) % len(app.potentials))

    def open_scene_list(self) -> None:
        """The scene picker."""
        self.app.gestures.drag = None  # a press the list would swallow the release of: forget it
        self.app.scene_ui.open_picker()
