"""Saving a scene in the background: the world as it was at the key press, written by a thread.

A million balls take seconds to write as text. `SaveJob(world, path, ...)` copies what the file
needs from the world at once (a few hundred ms for a million balls: the arrays, the rules, the
clock and the random generator's state), then a thread formats and writes it while the world
goes on. `progress` (0..1), `done`, `path` (the file written) and `error` (one line) are for the
window, which polls them every frame. Never imports pygame.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sim.core.particles import FIELDS
from sim.scene.schema import SceneError
from sim.scene.io import scene_bytes, write_new_scene

BACKGROUND_FROM = 20_000  # balls: smaller worlds are saved at once (well under 0.2 s)


def snapshot(world: Any) -> SimpleNamespace:
    """A copy of everything `world_to_scene` reads of a world: the world may go on meanwhile."""
    p = world.particles
    return SimpleNamespace(
        potential=world.potential,
        rules=list(world.rules),  # Rule is immutable
        particles=SimpleNamespace(**{k: getattr(p, k).copy() for k in FIELDS},
                                  extras={k: p.full(k)[: p.n].copy() for k in p.extra_names()}),
        n=world.n,
        seed=world.seed,
        tick_count=world.tick_count,
        time=world.time,
        rng=SimpleNamespace(bit_generator=SimpleNamespace(state=world.rng.bit_generator.state)),
        run_rng=world.run_rng,
        book=SimpleNamespace(  # the gradient cache's rule ids, read with minibatches
            cached_rules=lambda _particles, ids=tuple(world.book.cached_rules(world.particles)): list(ids)),
    )


class SaveJob:
    """One scene being written to a new file (never over one) from a snapshot of `world`.

    `meta`: the title, caption, view, instruments and paused flag (sim.scene.io.save_new_scene's
    keywords). Small worlds (under BACKGROUND_FROM balls) or threaded=False: written before
    the constructor returns.
    """

    def __init__(self, world: Any, path: str | os.PathLike, threaded: bool | None = None,
                 **meta: Any) -> None:
        self.target = Path(path)
        self.progress = 0.0
        self.path: Path | None = None
        self.error: str | None = None
        self._snap = snapshot(world)
        self._meta = meta
        self._done = threading.Event()
        if threaded is None:
            threaded = world.n >= BACKGROUND_FROM
        self.threaded = threaded
        if threaded:  # not a daemon: the program waits for the file before it exits
            self._thread = threading.Thread(target=self._run, name="scene-save")
            self._thread.start()
        else:
            self._run()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the file is written (or failed); True when done."""
        return self._done.wait(timeout)

    def _tick(self, fraction: float) -> None:
        self.progress = 0.95 * fraction  # the last 5%: the TOML text and the file itself

    def _run(self) -> None:
        try:
            data = scene_bytes(self._snap, self.target, progress=self._tick, **self._meta)
            self._snap = None  # the copy can go before the (slow) write
            self.path = write_new_scene(self.target, data)
            self.progress = 1.0
        except SceneError as e:
            self.error = str(e)
        except MemoryError:
            self.error = f"{self.target.name}: cannot save: out of memory"
        except Exception as e:  # noqa: BLE001 - a bug: a message, not a dead thread
            self.error = f"{self.target.name}: cannot save: {type(e).__name__}: {e}"
        finally:
            self._snap = None
            self._done.set()
