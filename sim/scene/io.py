"""Scene files: load, save (never overwriting), the bytes of a scene, written atomically."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sim.scene import arrays as scene_arrays
from sim.support.files import atomic_write
from sim.core.particles import MAX_PARTICLES
from sim.landscapes.base import View
from sim.core.world import World
from sim.scene.decode import scene_to_world
from sim.scene.encode import world_to_scene
from sim.scene.schema import FAST_ARRAYS_FROM, HEADER, MAX_SCENE_BYTES, MAX_TOML_BYTES, SceneError, SceneInfo
from sim.scene.toml_text import RawToml, dumps, loads


# =============================================================================================
# Files
# =============================================================================================

def load_scene(path: str | os.PathLike) -> tuple[World, SceneInfo]:
    """Read, check and build a scene file. Raises SceneError: `<file name>: <problem>`."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if path.stat().st_size > MAX_SCENE_BYTES:
            raise SceneError(f"{name}: larger than {MAX_SCENE_BYTES // 2**20:,} MiB "
                             f"(a scene of {MAX_PARTICLES:,} balls is smaller); not a scene file")
        data = path.read_bytes()
    except OSError as e:
        raise SceneError(f"{name}: cannot read: {e.strerror or e}") from None
    try:
        return scene_to_world(_parse_file(data))
    except SceneError as e:
        raise SceneError(f"{name}: {e}") from None


def _parse_file(data: bytes) -> dict:
    """A scene file's bytes -> the scene dict; big particle arrays as numpy arrays."""
    arrays: dict[str, np.ndarray] = {}
    if len(data) > FAST_ARRAYS_FROM:
        try:
            data, arrays = scene_arrays.extract(data)
        except scene_arrays.ArrayError as e:
            raise SceneError(f"[particles] {e}") from None
    if len(data) > MAX_TOML_BYTES:
        raise SceneError(f"{len(data) / 2**20:,.0f} MiB of TOML besides the particle arrays read "
                         f"fast (at most {MAX_TOML_BYTES // 2**20} MiB): write big arrays in [particles] "
                         f"as saved scenes do, one [x, y] per line, no comments inside")
    if data.startswith(b"\xef\xbb\xbf"):
        raise SceneError("the file starts with a byte order mark (BOM), which TOML does not allow: "
                         "save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SceneError(f"not UTF-8 text (bad byte at offset {e.start})") from None
    scene = loads(text)
    if arrays:
        t = scene.get("particles")
        if not isinstance(t, dict):
            raise SceneError("[particles] must be a table")
        for k, v in arrays.items():
            if k in t:
                raise SceneError(f"[particles] {k} is given twice")
            t[k] = v
    return scene


def save_scene(world: World, path: str | os.PathLike, *, title: str = "", caption: str = "",
               view: View | None = None, instruments: dict[str, bool] | None = None,
               paused: bool = False, view3d: dict | None = None) -> Path:
    """Write `world` to `path` atomically (temp file in the same folder, fsync, rename).

    On any failure the old file (if any) is intact, no temp file is left, and a SceneError
    says `<file name>: cannot save: <reason>`. Returns the path written.
    """
    path = Path(path)
    data = scene_bytes(world, path, title=title, caption=caption, view=view,
                       instruments=instruments, paused=paused, view3d=view3d)
    _atomic_write(path, data)
    return path


def save_new_scene(world: World, path: str | os.PathLike, *, title: str = "", caption: str = "",
                   view: View | None = None, instruments: dict[str, bool] | None = None,
                   paused: bool = False, view3d: dict | None = None) -> Path:
    """Like `save_scene`, but never replaces a file: the scene goes to `path`, or to the first
    free `stem-1.toml`, `stem-2.toml`, ... (decided at the moment of publishing, so two savers
    never take the same name). Returns the path written; SceneError on failure (nothing left)."""
    data = scene_bytes(world, Path(path), title=title, caption=caption, view=view,
                       instruments=instruments, paused=paused, view3d=view3d)
    return write_new_scene(path, data)


def scene_bytes(world: World, path: Path, *, progress: Callable[[float], None] | None = None,
                **meta: Any) -> bytes:
    """The file `save_scene` writes for `world` (or a snapshot of it, see sim/scene_save.py),
    as bytes. `meta`: world_to_scene's title, caption, view, instruments, paused. `progress`
    gets the fraction done (0..1) as the particle arrays are written. SceneError on failure."""
    name = path.name or str(path)
    try:
        scene = world_to_scene(world, arrays=True, **meta)
        parts = scene.get("particles", {})
        total = max(1, sum(len(v) for v in parts.values()))
        done = [0]

        def rows(k: int) -> None:
            done[0] += k
            if progress is not None:
                progress(min(1.0, done[0] / total))

        for k, v in parts.items():
            if k == "buffers":  # the rules' extra buffers: plain lists, written as TOML
                continue
            if isinstance(v, np.ndarray) and v.ndim == 2:
                parts[k] = RawToml(scene_arrays.pairs_text(v, rows))
            elif isinstance(v, np.ndarray):
                parts[k] = RawToml(scene_arrays.scalars_text(v, rows))
            else:  # status: a list of names
                parts[k] = RawToml(scene_arrays.words_text(v))
                rows(len(v))
        return (HEADER + dumps(scene)).encode("utf-8")
    except (ValueError, TypeError) as e:  # SceneError is a ValueError
        msg = str(e)
        raise SceneError(msg if msg.startswith(f"{name}: ") else f"{name}: cannot save: {msg}") from None


def write_new_scene(path: str | os.PathLike, data: bytes) -> Path:
    """Write a scene file's bytes as `save_new_scene` does (never over a file). Returns the path."""
    return _atomic_write(Path(path), data, replace=False)


def _atomic_write(path: Path, data: bytes, replace: bool = True) -> Path:
    try:
        return atomic_write(path, data, replace=replace)
    except OSError as e:
        raise SceneError(f"{path.name}: cannot save: {e.strerror or e}") from None
