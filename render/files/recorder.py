"""Recording GIF (and MP4 where imageio-ffmpeg is installed) in a background thread."""
from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
try:  # GIF writing needs Pillow (requirements.txt); import errors surface at start()
    from PIL import Image
except ImportError:  # pragma: no cover - reported by Recorder.start
    Image = None  # type: ignore[assignment]

import numpy as np
import pygame

from sim.support.files import clean_stale, publish_new, unique_path
from render.files.gif import GifStream, changed_box, surface_rgb
from render.files.names import RecorderError, auto_path, temp_in, unlink_quietly, why


MAX_WIDTH = 640  # recorded frames are downscaled to at most this many pixels wide
NOMINAL_HZ = 60  # the loop's nominal frame rate (the simulation's schedule)
EVERY = 2  # keep every 2nd frame: 30 fps
MAX_SECONDS = 300  # a recording stops by itself after this much (recorded) time
MAX_FRAME_SECONDS = 0.25  # one real frame counts for at most this long (as the simulation clock)
KEEP_SLACK = 0.75  # with real frame times, keep a frame once 0.75 of a recorded frame has passed
QUEUE_FRAMES = 8  # frames waiting for the encoder thread before add_frame waits for it
CHECKPOINT_SECONDS = 1.0  # the GIF on disk is complete (trailer and all) at least this often
DOT_RADIUS = 7  # pixels: the REC dot the window shows while recording
MP4_MISSING = "MP4 needs imageio-ffmpeg (pip install imageio imageio-ffmpeg); recording a GIF instead"


def mp4_available() -> bool:
    try:
        import imageio  # noqa: F401
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The recorder
# ---------------------------------------------------------------------------------------------

def frame_size(size: tuple[int, int], max_width: int, mp4: bool) -> tuple[int, int]:
    """The recorded frame's size for a window of `size`: at most max_width wide (aspect kept),
    even sides for MP4 (H.264 wants them)."""
    w, h = size
    if w > max_width:
        h, w = max(1, round(h * max_width / w)), max_width
    if mp4:
        w, h = max(2, w - w % 2), max(2, h - h % 2)
    return w, h


class Recorder:
    """Start, feed frames, stop. `recording`, `frames` (written so far), `path` (the target)
    and `message` (the last line worth showing) are for the HUD."""

    _mp4_warned = False  # say "MP4 needs imageio-ffmpeg" once per process

    def __init__(self, folder: str | os.PathLike = ".", every: int = EVERY, max_width: int = MAX_WIDTH,
                 max_seconds: float = MAX_SECONDS, nominal_hz: float = NOMINAL_HZ,
                 threaded: bool = True) -> None:
        if every < 1 or max_width < 16 or nominal_hz <= 0:
            raise ValueError("every >= 1, max_width >= 16 and nominal_hz > 0 are required")
        self.folder = Path(folder)
        self.every = int(every)
        self.max_width = int(max_width)
        self.nominal_hz = float(nominal_hz)
        self.max_frames = max(1, int(max_seconds * nominal_hz / every))
        self.max_seconds = float(max_seconds)
        self.path: Path | None = None
        self._wanted: Path | None = None
        self.frames = 0
        self.message = ""
        self._calls = 0
        self._file = self._mp4 = None  # the open GIF file / the MP4 writer
        self._tmp: str | None = None
        self._gif: GifStream | None = None
        self._size: tuple[int, int] | None = None
        self._prev: np.ndarray | None = None
        self._clock_cs = 0.0  # time written so far, centiseconds
        self._mp4_slots = -1  # MP4 frame slots filled so far (-1: none yet)
        self._since = 0.0  # real seconds since the last kept frame (timed add_frame)
        self.seconds = 0.0  # recorded time so far
        self._pending: tuple | None = None  # (rgb, box, prev): the GIF frame waiting for its delay
        self._last_interval = 0.0  # seconds between the last two recorded frames
        self.threaded = threaded  # encode GIF frames on a worker thread (the loop stays smooth)
        self._queue: queue.Queue | None = None
        self._worker: threading.Thread | None = None  # (both None while not threaded)
        self._error: BaseException | None = None  # a failure on the worker, raised on the next call
        self._checkpoint = 0.0  # time.monotonic() of the last complete GIF on disk
        self.recovered: list[Path] = []  # recordings of killed runs found when this one started

    @property
    def recording(self) -> bool:
        return self._tmp is not None

    @property
    def fps(self) -> float:
        return self.nominal_hz / self.every

    @property
    def frame_ms(self) -> float:
        """Duration of one recorded frame in milliseconds (the nominal schedule)."""
        return 1000.0 * self.every / self.nominal_hz

    # -- commands --------------------------------------------------------------------------
    def start(self, path: str | os.PathLike | None = None) -> Path:
        """Begin recording to `path` (.gif or .mp4; None: an auto name in `folder`).

        Returns the name it will be saved under (never an existing file). RecorderError if
        the folder cannot be written (nothing is started then).
        """
        if self.recording:
            return self.path  # type: ignore[return-value]
        target = Path(path) if path is not None else auto_path("gif", self.folder)
        suffix = target.suffix.lower()
        if suffix not in (".gif", ".mp4"):
            raise RecorderError(f"cannot record to {target.name}: use a .gif or .mp4 name")
        self.message = ""
        if suffix == ".mp4" and not mp4_available():
            target = target.with_suffix(".gif")
            if not Recorder._mp4_warned:
                Recorder._mp4_warned = True
                self.message = MP4_MISSING
        if target.suffix.lower() == ".gif" and Image is None:
            raise RecorderError("GIF recording needs Pillow (pip install pillow)")
        self._wanted = target  # the name asked for: -1, -2 ... are counted from it
        target = unique_path(target)
        folder = target.parent if str(target.parent) else Path(".")
        self.recovered = clean_stale(folder)
        try:
            fd, tmp = temp_in(folder, target.name, ".part" + target.suffix)
        except OSError as e:
            raise RecorderError(f"cannot record to {target}: {why(e)}") from None
        if target.suffix.lower() == ".gif":
            self._file = os.fdopen(fd, "wb", buffering=1 << 20)
        else:
            os.close(fd)
        self._tmp = tmp
        self.path = target
        self.frames = 0
        self._calls = 0
        self._size = None
        self._prev = None
        self._gif = None
        self._mp4 = None
        self._mp4_slots = -1
        self._clock_cs = 0.0
        self._since = 0.0
        self.seconds = 0.0
        self._pending = None
        self._last_interval = 0.0
        self._error = None
        if self.recovered and not self.message:
            self.message = f"recovered the recording of a killed run: {self.recovered[0]}"
        if not self.message:
            self.message = f"recording {target.name}"
        return target

    def add_frame(self, surface: pygame.Surface, seconds: float | None = None) -> bool:
        """Offer the frame just drawn. Returns whether it was recorded.

        `seconds`: how long the previous frame was on screen (the window's real frame time).
        Then a frame is kept once about `frame_ms` has passed since the last kept one, and the
        file plays at the speed the window ran. None: every `every`-th call is kept, on the
        nominal schedule (headless: the same bytes on any machine).

        At the length cap the recording stops by itself (see `message`; `path` is the file).
        A write failure stops the recording, removes the temp file and raises RecorderError.
        """
        if not self.recording:
            return False
        self._raise_worker_error()
        self._calls += 1
        if seconds is None:
            if (self._calls - 1) % self.every:
                return False
            interval = self.frame_ms / 1000.0
        else:
            s = float(seconds)
            s = min(s, MAX_FRAME_SECONDS) if s == s and s > 0.0 else 0.0
            self._since += s
            if self._calls > 1 and self._since < KEEP_SLACK * self.frame_ms / 1000.0:
                return False
            interval, self._since = self._since, 0.0
        try:
            self._write(surface, interval if self.frames else 0.0)
        except (OSError, ValueError, RuntimeError, pygame.error) as e:
            self._fail(e)
        self.frames += 1
        if self.frames > 1:
            self.seconds += interval
        if (seconds is None and self.frames >= self.max_frames) or self.seconds >= self.max_seconds - 1e-9:
            path = self.stop()
            self.message = f"recording stopped at the {self.max_seconds:.0f} s cap: saved {path}"
        return True

    def stop(self) -> Path:
        """Finish the file and give it its name. Returns the path; RecorderError on failure
        (the temp file is removed; the recording is over either way)."""
        if not self.recording:
            raise RecorderError("not recording")
        name = self.path.name if self.path else "recording"
        if self.frames == 0:
            self._abort()
            self.message = "recording discarded: no frames were captured"
            raise RecorderError(self.message)
        self._join_worker()
        self._raise_worker_error()
        try:
            if self._gif is not None:
                self._flush_pending()
                self._gif.close()
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None
            elif self._mp4 is not None:
                self._mp4.close()
                self._mp4 = None
                with open(self._tmp, "rb+") as f:  # type: ignore[arg-type]
                    os.fsync(f.fileno())
            out = publish_new(self._tmp, self.path if not os.path.lexists(self.path) else self._wanted)
        except (OSError, ValueError, RuntimeError) as e:
            self._abort()
            self.message = f"cannot save {name}: {why(e)}"
            raise RecorderError(self.message) from None
        self._tmp = None
        self.path = out
        self.message = f"saved {out} ({self.frames} frames)"
        return out

    def cancel(self) -> None:
        """Stop and throw the recording away."""
        if self.recording:
            self._abort()
            self.message = "recording discarded"

    # -- internals -------------------------------------------------------------------------
    def _fail(self, e: BaseException) -> None:
        name = self.path.name if self.path else "recording"
        self._abort()
        self.message = f"recording stopped: cannot write {name}: {why(e)}"
        raise RecorderError(self.message) from None

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            self._fail(e)

    def _join_worker(self) -> None:
        if self._worker is not None:
            self._queue.put(None)  # type: ignore[union-attr]
            self._worker.join()
            self._worker = None
            self._queue = None

    def _work(self) -> None:
        """The worker: encode queued frames in order; after a failure, drain and keep it."""
        q = self._queue
        while True:
            item = q.get()  # type: ignore[union-attr]
            if item is None:
                return
            if self._error is None:
                try:
                    self._encode(*item)
                except BaseException as e:  # noqa: BLE001 - handed to the main thread
                    self._error = e

    def _abort(self) -> None:
        self._join_worker()
        self._error = None
        for closer in (self._file, self._mp4):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001 - already failing; the temp file goes anyway
                    pass
        self._file = self._mp4 = self._gif = None
        unlink_quietly(self._tmp)
        self._tmp = None
        self._prev = None
        self._pending = None

    def _frame_size(self, surface: pygame.Surface) -> tuple[int, int]:
        if self._size is None:
            mp4 = self.path is not None and self.path.suffix.lower() == ".mp4"
            self._size = frame_size(surface.get_size(), self.max_width, mp4)
        return self._size

    def _write(self, surface: pygame.Surface, interval: float) -> None:
        """Record one frame; `interval`: seconds since the previous recorded frame."""
        size = self._frame_size(surface)
        rgb = surface_rgb(surface, size)
        if self.path is not None and self.path.suffix.lower() == ".mp4":
            if self._mp4 is None:
                import imageio.v2 as iio

                self._mp4 = iio.get_writer(self._tmp, fps=self.fps, codec="libx264", quality=7,
                                           macro_block_size=2, ffmpeg_log_level="error")
            # a fixed frame rate: the frame fills the slots that passed since the last one (at
            # most 8: a frame counts for 0.25 s at most, 7.5 slots at 30 fps)
            self._clock_cs += 100.0 * interval
            slots = round(self._clock_cs * self.fps / 100.0)
            copies = 1 if self._mp4_slots < 0 else max(1, min(slots - self._mp4_slots, 8))
            for _ in range(copies):
                self._mp4.append_data(rgb)
            self._mp4_slots = max(slots, self._mp4_slots + 1)
            return
        if self._gif is None:
            self._gif = GifStream(self._file, size)
            if self.threaded:
                self._queue = queue.Queue(maxsize=QUEUE_FRAMES)
                self._worker = threading.Thread(target=self._work, name="gif-encoder", daemon=True)
                self._worker.start()
        if self._queue is not None:
            # blocks when the encoder is QUEUE_FRAMES behind: no frame is dropped
            self._queue.put((rgb, interval))
        else:
            self._encode(rgb, interval)

    def _encode(self, rgb: np.ndarray, interval: float) -> None:
        """One GIF frame (worker or main thread). A frame's delay is the time until the next
        one, so the frame waits (`_pending`) until the next arrives, or until stop()."""
        box = changed_box(self._prev, rgb)
        prev, self._prev = self._prev, rgb  # a read-only view of fresh bytes: safe to keep
        self._flush_pending(interval)
        self._pending = (rgb, box, prev)
        if interval > 0.0:
            self._last_interval = interval

    def _flush_pending(self, interval: float | None = None) -> None:
        """Crop, quantize and write the waiting frame, shown for `interval` seconds (None, for
        the last frame: as long as the frame before it, or one nominal frame when it is the only
        one). Rounding is accumulated: exact on average."""
        if self._pending is None:
            return
        rgb, box, prev = self._pending
        self._pending = None
        if interval is None:
            interval = self._last_interval or self.frame_ms / 1000.0
        step = 100.0 * interval
        start = round(self._clock_cs)
        self._clock_cs += step
        delay = max(1, round(self._clock_cs) - start)
        self._gif.frame(rgb, box if box is not None else (0, 0, 1, 1), delay, prev)
        now = time.monotonic()
        if now - self._checkpoint >= CHECKPOINT_SECONDS:
            self._checkpoint = now
            self._gif.checkpoint()
