"""What a gesture on the map does (the router's Gestures target): a click selects a ball or
drops one (Shift: a cloud), a drag throws, a right click removes the balls near the cursor,
a drag of the view pans, the wheel zooms. Pixels in, commands on the runtime and the camera."""
from __future__ import annotations

from typing import Callable

import numpy as np

from render.app.frame import PICK_RADIUS, Layers
from render.look.camera import Camera
from render.map.vectors import throw_velocity
from sim.runtime.runtime import Runtime

CLOUD_RADIUS = 16  # pixels
REMOVE_RADIUS = 14  # pixels around the cursor that a right click clears


class MapActions:
    """The map's gestures on one runtime, seen through one camera (`clock`: the real time)."""

    def __init__(self, runtime: Runtime, camera: Camera, layers: Layers,
                 clock: Callable[[], float]) -> None:
        self.runtime = runtime
        self.camera = camera
        self.layers = layers
        self.clock = clock

    def drop_at(self, start, end=None, cloud: bool = False) -> slice | None:
        """Drop one ball (or a cloud) at pixel start; a drag to `end` throws it."""
        view = self.camera.view
        vel = None if end is None else throw_velocity(self.runtime, view, start, end)
        centre = np.array(view.pixel_to_world(*start))
        if cloud:
            return self.runtime.balls.drop_cloud(centre, view.length(CLOUD_RADIUS), vel)
        return self.runtime.balls.drop(centre[None, :], None if vel is None else vel[None, :])

    def click(self, pix, shift: bool = False) -> None:
        """A left click: on a ball, select it; elsewhere, drop a ball (Shift: a cloud), or, while
        a ball is selected, deselect it."""
        rt = self.runtime
        if not shift:
            k = self.layers.proj.nearest(pix[0] + 0.5, pix[1] + 0.5, PICK_RADIUS)
            if k is not None and k < rt.world.n:
                rt.select(k)
                rt.say(f"ball #{k} selected   (Esc or a click on the map: deselect)")
                return
            if rt.balls.selected is not None:
                rt.select(None)
                return
        self.drop_at(pix, None, shift)

    def remove_at(self, pix) -> int:
        """Remove the balls within REMOVE_RADIUS pixels of pix; returns how many."""
        view = self.camera.view
        return self.runtime.balls.remove_near(view.pixel_to_world(*pix), view.length(REMOVE_RADIUS))

    def pan(self, dx: int, dy: int) -> None:
        """Move the view by (dx, dy) pixels."""
        self.camera.pan(dx, dy, self.clock())

    def zoom(self, pix, factor: float) -> None:
        """Zoom by `factor` about pixel pix."""
        self.camera.zoom(pix, factor, self.clock())
