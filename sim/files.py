"""Files that never overwrite: free names and publishing a finished temporary file.

Used by scenes (sim/scene.py) and by screenshots and recordings (render/recorder.py).
"""
from __future__ import annotations

import os
from pathlib import Path


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
