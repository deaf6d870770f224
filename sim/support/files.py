"""Writing files safely: the one atomic write, free names for files that never overwrite,
publishing a finished temporary file, and cleaning up (or recovering) the hidden temporary
files of runs that were killed.

`atomic_write` is what every whole file the program writes goes through: scenes
(sim/scene.py), dumps (main.py), reports (render/report.py) and screenshots
(render/recorder.py); a recording streams into a `hidden_temp` and is published the same way.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

FILE_MODE = 0o644  # an ordinary file the user may share, less what the umask takes away
APP_FOLDER = "newton-descent"  # the per-user data folder's name (the window's error log, recovery)


def user_data_folder() -> Path:
    """The per-user folder for what the program keeps on its own (the window's error log and
    recovery scenes): $XDG_DATA_HOME/newton-descent, else ~/.local/share/newton-descent
    (Windows: %LOCALAPPDATA%\\newton-descent). Not created here."""
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / APP_FOLDER
    base = os.environ.get("XDG_DATA_HOME")
    if not base or not os.path.isabs(base):  # the XDG spec: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP_FOLDER


def current_umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux
    /proc/self/status; setting it for a moment would race with threads that create files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(path: str | os.PathLike | None = None) -> int:
    """The permission bits for a file written at `path`: those of the file it replaces, if
    one is there; else FILE_MODE less the umask (0644 under the usual umask 022)."""
    if path is not None:
        try:
            st = os.stat(path)
            if os.path.isfile(path):
                return st.st_mode & 0o777
        except OSError:
            pass
    return FILE_MODE & ~current_umask()


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None], *,
                 replace: bool = True) -> Path:
    """Write a whole file so that it is either all there or not at all: a hidden temporary
    file in the same folder (see hidden_temp), `data` written to it (bytes, or a function that
    writes to the open binary file), flushed and fsynced, given `file_mode(path)`, then
    renamed onto `path` with os.replace (replace=True: the user's own path, overwritten) or
    published under the first free name from `path` on (replace=False: never over a file, see
    publish_new); the folder is fsynced so the rename lasts. Returns the path written. On any
    failure (OSError, or whatever `data` raises) the temporary file is gone and a file that
    was at `path` is untouched."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = file_mode(path if replace else None)
    fd, tmp = hidden_temp(folder, path.name, path.suffix or ".part")
    done = False
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
            out = path
        else:
            out = publish_new(tmp, path)
        done = True
    finally:
        if not done:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    fsync_folder(folder)
    return out


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make a rename in `folder` durable (POSIX; best effort elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unique_path(path: str | os.PathLike) -> Path:
    """`path` if nothing exists there, else the first free `stem-1.ext`, `stem-2.ext`, ..."""
    p = Path(path)
    if not os.path.lexists(p):
        return p
    i = 1
    while os.path.lexists(cand := p.with_name(f"{p.stem}-{i}{p.suffix}")):
        i += 1
    return cand


def publish_new(tmp: str, path: Path) -> Path:
    """Give the finished temp file the first free name from `path` on; never overwrites.

    A hard link fails if the name was taken in the meantime; where links are not supported
    (some network or FAT file systems) it falls back to a checked rename.
    """
    while True:
        cand = unique_path(path)
        try:
            os.link(tmp, cand)
        except FileExistsError:
            continue
        except OSError:
            if os.path.lexists(cand):
                continue
            os.replace(tmp, cand)
            return cand
        os.unlink(tmp)
        return cand


# ---------------------------------------------------------------------------------------------
# Hidden temporary files, and the ones a killed run left behind
# ---------------------------------------------------------------------------------------------

TEMP_TAG = ".nd"  # .NAME.nd<pid>-<random><suffix>: whose it is, and what it was to become
_TEMP = re.compile(r"^\.(?P<name>.+)\.nd(?P<pid>\d+)-[A-Za-z0-9_]+(?P<suffix>\.[^/]*)?$")


def hidden_temp(folder: str | os.PathLike, name: str, suffix: str = "") -> tuple[int, str]:
    """A new hidden temp file in folder for the file `name` (mkstemp: (fd, path)), named so a
    later run can tell it was left by a process that no longer exists. Stale ones of killed
    runs in that folder are cleaned up first (see clean_stale)."""
    clean_stale(folder)
    return tempfile.mkstemp(dir=folder, prefix=f".{name}{TEMP_TAG}{os.getpid()}-", suffix=suffix)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's, or unknown: leave it alone
    return True


RECOVERERS: dict[str, Callable[[str, Path], Path | None]] = {}  # target suffix -> recover(tmp,
# target): what a killed run's partial stream of that kind can be turned back into (the window's
# recorder registers ".gif"; this module knows no file format)
PARTIAL = ".part"  # a streaming writer's temp ends in .part + its target's suffix


def clean_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the hidden temp files that runs which no longer exist left in folder (kill -9,
    power loss). A partial stream whose kind has a recoverer (RECOVERERS) is recovered and
    published under the name it was to have (never over a file); one whose kind has none in
    this process is left for a process that has it. Returns the files recovered."""
    recovered: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return recovered
    for e in entries:
        m = _TEMP.match(e.name)
        if m is None or _alive(int(m.group("pid"))) or not e.is_file(follow_symlinks=False):
            continue
        target = Path(folder) / m.group("name")
        recover = RECOVERERS.get(target.suffix.lower())
        if recover is not None:
            out = recover(e.path, target)
            if out is not None:
                recovered.append(out)
                continue
        elif target.suffix and e.name.endswith(PARTIAL + target.suffix):
            continue  # a stream only its own kind of writer can recover: not ours to delete
        try:
            os.unlink(e.path)
        except OSError:
            pass
    return recovered
