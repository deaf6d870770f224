"""Ctrl+S in the window: a scene written in the background, its progress on screen.

`SceneSaves.start(world, target, tell, **meta)` snapshots the world at the key press
(sim/scene_save.py) and returns the path when the world was small enough to write at once;
`poll(tell)` every frame shows "saving ... 40%" and, when the thread is done, where the file
went (or why it could not be written); `finish(report)` at the end of the run waits for it.
`tell(text, color)` is the window's message line.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from render.look.theme import WARN

Tell = Callable[..., None]


class SceneSaves:
    """At most one background save at a time; `job` is the last one started."""

    def __init__(self) -> None:
        self.job: Any = None
        self._reported = True

    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job.done

    def start(self, world: Any, target: str | os.PathLike, tell: Tell, **meta: Any) -> Path | None:
        """Save `world` as it is now; the path if written already, else None (see poll)."""
        from sim.scene.save import SaveJob

        if self.busy:
            tell(f"still saving {self.job.target.name} ({self.job.progress:.0%}): "
                 "try again when it is done", WARN)
            return None
        self.job = SaveJob(world, target, **meta)
        self._reported = False
        self.poll(tell)
        return self.job.path

    def poll(self, tell: Tell) -> None:
        """Every frame: the progress while the thread writes, then the result once."""
        job = self.job
        if job is None or self._reported:
            return
        if not job.done:
            tell(f"saving scene {job.target.name} ... {job.progress:.0%}")
            return
        self._reported = True
        if job.error:
            tell(f"scene not saved: {job.error}", WARN)
        else:
            tell(f"scene saved: {job.path}")

    def finish(self, report: Callable[[str], Any] | None = None) -> None:
        """The run is over: wait for a save in progress (its file is never lost)."""
        if not self.busy:
            return
        if report is not None:
            report(f"saving scene {self.job.target.name} before exit ...")
        self.job.wait()
        if report is not None:
            job = self.job
            report(f"scene saved: {job.path}" if not job.error else f"scene not saved: {job.error}")
