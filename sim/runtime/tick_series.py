"""Live plot samples keyed by tick, for plots that share the timeline's axis.

A sample at a tick at or before the newest one means the world went back (a restore, a
rewind) and continues from there: the samples from that tick on are dropped first, so a plot
always shows one history. Bounded: the oldest samples go when `capacity` is reached.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

CAPACITY = 20_000  # samples kept


class TickSeries:
    """Samples (tick, values [width]) in tick order, at most `capacity` of them."""

    def __init__(self, names: Sequence[str], capacity: int = CAPACITY) -> None:
        if capacity < 1 or not names:
            raise ValueError("a tick series needs a name and room for one sample")
        self.names = tuple(names)
        self._ticks = np.zeros(capacity, dtype=np.int64)
        self._values = np.full((capacity, len(self.names)), np.nan)
        self._start = 0  # index of the oldest sample in the ring
        self.count = 0
        self.version = 0  # changes whenever the samples do (plots cache by it)

    @property
    def capacity(self) -> int:
        return len(self._ticks)

    def clear(self) -> None:
        self._start = self.count = 0
        self.version += 1

    def append(self, tick: int, values: Sequence[float]) -> None:
        """Add a sample; samples at `tick` or later are dropped first (a new future)."""
        tick = int(tick)
        if self.count and tick <= self.last_tick:
            self.truncate(tick - 1)
        cap = self.capacity
        if self.count == cap:
            self._start = (self._start + 1) % cap
            self.count -= 1
        i = (self._start + self.count) % cap
        self._ticks[i] = tick
        self._values[i] = values
        self.count += 1
        self.version += 1

    @property
    def last_tick(self) -> int | None:
        return int(self._ticks[(self._start + self.count - 1) % self.capacity]) if self.count else None

    def truncate(self, tick: int) -> None:
        """Drop the samples after `tick`."""
        ticks = self.ticks()
        keep = int(np.searchsorted(ticks, int(tick), side="right"))
        if keep != self.count:
            self.count = keep
            self.version += 1

    def ticks(self) -> np.ndarray:
        """Sample ticks in order: [k] (ascending)."""
        return self._ordered(self._ticks)

    def values(self, name: str | None = None) -> np.ndarray:
        """Samples in order: [k, width], or [k] for one name."""
        v = self._ordered(self._values)
        return v if name is None else v[:, self.names.index(name)]

    def _ordered(self, a: np.ndarray) -> np.ndarray:
        idx = (self._start + np.arange(self.count)) % self.capacity
        return a[idx]
