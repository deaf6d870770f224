"""Progress of long headless work on a terminal: ticks (or frames) done, rate, time left.

Shown on stderr only when stderr is a terminal, and only once the work has lasted AFTER
seconds (short runs stay silent); redrawn in place at most every EVERY seconds; `close()`
clears the line. Output that goes to a file or a pipe never gets a byte of it. Never imports
pygame.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, TextIO

AFTER = 2.0  # seconds of work before anything is shown (ND_PROGRESS_AFTER overrides, for tests)
EVERY = 0.5  # seconds between redraws


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def describe(done: int, total: int, elapsed: float, unit: str) -> str:
    """One line: `1,200 / 5,000 ticks (24%)  3,400 ticks/s  1 s left`."""
    rate = done / elapsed if elapsed > 0 else 0.0
    left = f"{_duration((total - done) / rate)} left" if rate > 0 else "time left unknown"
    pct = 100.0 * done / total if total else 100.0
    return f"{done:,} / {total:,} {unit} ({pct:.0f}%)  {rate:,.0f} {unit}/s  {left}"


class Progress:
    """`update(done)` as the work goes; `close()` at the end (or use it as a context)."""

    def __init__(self, total: int, unit: str = "ticks", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = int(total)
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.start = clock()
        self.after = float(os.environ.get("ND_PROGRESS_AFTER", AFTER))
        self.shown = False
        self._last = -1e9
        try:
            self.on = bool(self.stream.isatty())
        except (AttributeError, ValueError, OSError):
            self.on = False

    def update(self, done: int) -> None:
        if not self.on:
            return
        now = self.clock()
        elapsed = now - self.start
        if elapsed < self.after or now - self._last < EVERY:
            return
        self._last = now
        self.stream.write("\r" + describe(int(done), self.total, elapsed, self.unit) + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
