"""Names for the files the window writes (never overwriting), screenshots, and quiet C stderr."""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
import sys
from pathlib import Path

import pygame

from sim.support.files import atomic_write, file_mode, hidden_temp


PREFIX = "newton-descent"


class RecorderError(RuntimeError):
    """Recording or a screenshot failed: `str(err)` is one line for the screen."""


# ---------------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------------

def auto_path(ext: str, folder: str | os.PathLike = ".", now: _dt.datetime | None = None) -> Path:
    """`folder/newton-descent-YYYYmmdd-HHMMSS.ext` (not yet made unique: see unique_path)."""
    now = now or _dt.datetime.now()
    return Path(folder) / f"{PREFIX}-{now:%Y%m%d-%H%M%S}.{ext.lstrip('.')}"


def temp_in(folder: Path, name: str, suffix: str) -> tuple[int, str]:
    fd, tmp = hidden_temp(folder, name, suffix)  # a killed run's are cleaned up next time
    try:
        os.fchmod(fd, file_mode())  # as every file written (sim.support.files.atomic_write)
    except OSError:
        pass
    return fd, tmp


def unlink_quietly(tmp: str | None) -> None:
    if tmp:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def why(e: BaseException) -> str:
    return (getattr(e, "strerror", None) or str(e) or type(e).__name__).splitlines()[0]


@contextlib.contextmanager
def quiet_c_stderr():
    """Send what C libraries print on file descriptor 2 (libpng's "libpng error: ...") to
    nothing for a moment: the failure reaches the user once, as our own one-line message."""
    try:
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        sys.stderr.flush()
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def save_screenshot(surface: pygame.Surface, path: str | os.PathLike | None = None,
                    folder: str | os.PathLike = ".", replace: bool = False) -> Path:
    """Save `surface` as an image (format from the suffix, default PNG) atomically
    (sim.support.files.atomic_write): never over an existing file (the window's own names: -1, -2 ...),
    or, with replace=True, over the file at `path` (a path the user gave). Returns the path
    written; RecorderError on failure (no temp file left)."""
    target = Path(path) if path is not None else auto_path("png", folder)
    try:
        # encoded in memory, written by Python: a short write (a full disk, a size limit) is an
        # error here; an image library writing the file itself may not say so (pygame-ce)
        buf = io.BytesIO()
        with quiet_c_stderr():
            pygame.image.save(surface, buf, target.name if target.suffix else "shot.png")
        return atomic_write(target, buf.getvalue(), replace=replace)
    except (OSError, pygame.error) as e:
        raise RecorderError(f"cannot save screenshot {target.name}: {why(e)}") from None
