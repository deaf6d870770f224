"""A GIF written as a stream: only the changed box of each frame, complete on disk at every checkpoint;
a killed run's stream cut back to its last complete frame."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any
try:  # GIF writing needs Pillow (requirements.txt); import errors surface at start()
    from PIL import Image
except ImportError:  # pragma: no cover - reported by Recorder.start
    Image = None  # type: ignore[assignment]

import numpy as np
import pygame

from render.look.widgets import smooth_scale
from sim.support.files import RECOVERERS, publish_new


GIF_LOOP = 0  # 0 = loop forever


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------

def surface_rgb(surface: pygame.Surface, size: tuple[int, int]) -> np.ndarray:
    """The surface scaled to size (w, h), as an RGB array [h, w, 3] uint8."""
    if surface.get_size() != size:
        src = surface
        if src.get_bitsize() not in (24, 32):
            src = pygame.Surface(surface.get_size(), 0, 32)
            src.blit(surface, (0, 0))
        surface = smooth_scale(src, size)
    tobytes = getattr(pygame.image, "tobytes", None) or pygame.image.tostring
    data = tobytes(surface, "RGB")
    return np.frombuffer(data, dtype=np.uint8).reshape(size[1], size[0], 3)


def changed_box(prev: np.ndarray | None, cur: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels that differ, None if none; whole frame at first."""
    h, w = cur.shape[:2]
    if prev is None:
        return (0, 0, w, h)
    diff = (prev != cur).any(axis=2)
    rows = np.flatnonzero(diff.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(diff[rows[0]: rows[-1] + 1].any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _gif_image_block(im: Any) -> tuple[bytes, int, bytes]:
    """Encode a palette image with Pillow and cut out its colour table and image data.

    Returns (colour table bytes, flags for the image descriptor (table size, interlace), image
    data: the LZW code size and sub-blocks up to and including the terminator). Only the GIF
    format itself is relied on.
    """
    buf = io.BytesIO()
    im.save(buf, "GIF", interlace=False, optimize=False)  # keep every index where it is
    b = buf.getvalue()
    flags = b[10]
    i = 13
    table = b""
    size_bits = flags & 7
    if flags & 0x80:
        n = 3 * (2 ** (size_bits + 1))
        table = b[i: i + n]
        i += n
    while b[i] == 0x21:  # extensions: skip their sub-blocks
        i += 2
        while b[i]:
            i += b[i] + 1
        i += 1
    if b[i] != 0x2C:
        raise ValueError("unexpected GIF layout from Pillow")
    lflags = b[i + 9]
    i += 10
    if lflags & 0x80:  # a local table (Pillow writes a global one; take either)
        size_bits = lflags & 7
        n = 3 * (2 ** (size_bits + 1))
        table = b[i: i + n]
        i += n
    start = i
    i += 1  # LZW minimum code size
    while b[i]:
        i += b[i] + 1
    flags = (lflags & 0x40) | ((0x80 | size_bits) if table else 0)  # keep interlace if any
    return table, flags, b[start: i + 1]


class GifStream:
    """Write GIF89a frames one at a time to an open binary file."""

    def __init__(self, f: Any, size: tuple[int, int]) -> None:
        self.f = f
        w, h = size
        self.f.write(b"GIF89a" + w.to_bytes(2, "little") + h.to_bytes(2, "little") + b"\x00\x00\x00")
        self.f.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + GIF_LOOP.to_bytes(2, "little") + b"\x00")

    def frame(self, rgb: np.ndarray, box: tuple[int, int, int, int], delay_cs: int,
              prev: np.ndarray | None = None) -> None:
        """One frame: the box that changed; with `prev` (the previous frame), the pixels in
        the box that did not change are written transparent (long runs of one index, which
        LZW packs to almost nothing), so the frame costs about what actually moved."""
        left, top, right, bottom = box
        crop = np.ascontiguousarray(rgb[top:bottom, left:right])
        im = Image.frombuffer("RGB", (right - left, bottom - top), crop.tobytes(), "raw", "RGB", 0, 1)
        same = None
        if prev is not None:
            same = (prev[top:bottom, left:right] == crop).all(axis=2)
            if not same.any():
                same = None
        if same is None:
            q = im.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            gce = b"!\xf9\x04\x04" + int(delay_cs).to_bytes(2, "little") + b"\x00\x00"
        else:
            q = im.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            idx = np.array(q, dtype=np.uint8)
            # only the colours the changed pixels use, packed from 0; the next index is "clear"
            used = np.bincount(idx[~same], minlength=256) > 0
            lut = (np.cumsum(used) - 1).astype(np.uint8)
            clear = int(used.sum())
            idx = lut[idx]
            idx[same] = clear
            pal = np.asarray(q.getpalette() or [0] * 765, dtype=np.uint8).reshape(-1, 3)
            pal = np.concatenate([pal[used[: len(pal)]], np.zeros((1, 3), np.uint8)])
            q = Image.fromarray(idx, "P")
            q.putpalette(pal.ravel().tolist())
            # transparency flag on, index `clear`: the previous frame shows through
            gce = (b"!\xf9\x04\x05" + int(delay_cs).to_bytes(2, "little")
                   + bytes([clear]) + b"\x00")
        table, flags, data = _gif_image_block(q)
        # graphic control: disposal 1 (keep the previous frame under the changed box)
        self.f.write(gce)
        desc = b"," + b"".join(v.to_bytes(2, "little") for v in (left, top, right - left, bottom - top))
        self.f.write(desc + bytes([flags]) + table + data)

    def checkpoint(self) -> None:
        """Make the file on disk a complete GIF of the frames so far (a kill -9 keeps them):
        write the trailer, flush, and step back over it so the next frame replaces it."""
        self.f.write(b";")
        self.f.flush()
        self.f.seek(-1, os.SEEK_CUR)

    def close(self) -> None:
        self.f.write(b";")


def gif_complete_end(data: bytes) -> int | None:
    """Where the last complete image of a (possibly cut off) GIF ends, None if it has none."""
    if len(data) < 13 or data[:6] not in (b"GIF89a", b"GIF87a"):
        return None
    i = 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    last = None
    try:
        while i < len(data):
            kind = data[i]
            if kind == 0x3B:  # trailer
                break
            if kind == 0x21:  # extension: label, then sub-blocks
                i = _sub_blocks(data, i + 2)
            elif kind == 0x2C:  # image: descriptor, local table, code size, sub-blocks
                flags = data[i + 9]
                i += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
                i = _sub_blocks(data, i + 1)
                last = i
            else:
                break
    except IndexError:
        pass
    return last


def _sub_blocks(data: bytes, i: int) -> int:
    """The index after the sub-blocks starting at i (IndexError if cut off)."""
    while data[i]:
        i += data[i] + 1
    if i >= len(data):
        raise IndexError(i)
    return i + 1


def recover_gif(tmp: str, target: Path) -> Path | None:
    """A killed recording: the frames written so far, with the trailer, under `target`."""
    if target.suffix.lower() != ".gif":
        return None
    try:
        with open(tmp, "rb") as f:
            data = f.read()
        end = gif_complete_end(data)
        if end is None:
            return None
        with open(tmp, "r+b") as f:
            f.truncate(end)
            f.seek(end)
            f.write(b";")
        return publish_new(tmp, target)
    except OSError:
        return None


RECOVERERS[".gif"] = recover_gif  # a killed recording is kept up to its last complete frame
