"""A bounded history of a world: go back to any recent tick and continue bit for bit.

The timeline keeps keyframes (complete `WorldState`s) every `interval` ticks and restores any
tick in between by loading the keyframe at or before it and ticking forward: the simulation is
deterministic (the random generator's state is part of a keyframe), so the replayed state is
the recorded one bit for bit, and a run continued from it reproduces the same future.

Memory: keyframes share every array that did not change since the previous one (drop points,
rule ids, status, and whatever buffers a rule leaves alone), and the oldest keyframes are
dropped while the total exceeds `budget_bytes` (200 MB by default). The interval is chosen so
that the budget covers `window_ticks` (10,000) ticks, but at most `max_interval` ticks and
MAX_REPLAY_BALL_TICKS / balls ticks (a restore replays at most that many). Limit, with the
defaults (bench/bench_timeline.py): a keyframe adds 48 (momentum) to 72 (adam, langevin)
bytes per ball, so 10,000 balls keep the last ~11,200 ticks (interval 26 to 39); 100,000 balls
keep 520 to 800 ticks (interval 20); a world too big for MIN_KEYFRAMES whole keyframes (above
about 338,000 balls) keeps no history.

Use: `record(world)` after every tick (or batch of ticks) and after every command; any change
that was not a tick (World.edits moved) starts a new keyframe there, and a change at a past
tick (after `restore`) forks: the old future after it is dropped.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from sim.core.particles import FIELDS
from sim.core.world import World
from sim.core.world_state import WorldState

BUDGET_BYTES = 200 * 2**20  # the most the keyframes may hold
WINDOW_TICKS = 10_000  # ticks the budget should cover: chooses the keyframe interval
MAX_INTERVAL = 100  # the longest replay a restore may need (ticks)
MAX_REPLAY_BALL_TICKS = 2_000_000  # ... and (balls x ticks): a restore stays near 30 ms
MIN_KEYFRAMES = 4  # a world too big for this many whole keyframes keeps no history
MARGIN = 0.9  # the interval is chosen to fill this share of the budget (the first keyframe,
# which shares nothing, and the rounding use the rest)
ROW_BYTES = sum(int(np.prod(shape, dtype=int)) * np.dtype(dt).itemsize
                for shape, dt in FIELDS.values())  # bytes of one ball's complete state (155)


@dataclass
class _Key:
    """A keyframe: the world's state at `tick`; ticks tick..end replay from it."""

    tick: int
    state: WorldState
    end: int
    extra: Any = None  # the owner's bookkeeping at this keyframe (see Timeline)


def _signature(world: World) -> tuple:
    """What a change made without a command would show: count, rules, landscape, prev copy.
    (Commands move World.edits; this catches code that writes `world.rules` directly.)"""
    return (world.n, tuple(world.rules), id(world.potential), world.keep_prev)


class Timeline:
    """Keyframes of one world, bounded in memory. Ticks are the world's `tick_count`.

    `extra`: called at every keyframe for the owner's own bookkeeping that commands change and
    ticks never do (e.g. which balls are partners); `restore` returns the value saved with the
    keyframe it started from, which holds for every tick up to the next keyframe."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES, window_ticks: int = WINDOW_TICKS,
                 max_interval: int = MAX_INTERVAL, extra: Callable[[], Any] | None = None) -> None:
        if budget_bytes <= 0 or window_ticks <= 0 or max_interval < 1:
            raise ValueError("timeline budget, window and interval must be positive")
        self.budget_bytes = int(budget_bytes)
        self.window_ticks = int(window_ticks)
        self.max_interval = int(max_interval)
        self.extra = extra
        self.interval = 1  # ticks between keyframes (set from the keyframes' size)
        self._keys: list[_Key] = []
        self._world: weakref.ref | None = None
        self._at = -1  # the tick the world stood at after the last record or restore
        self._edits: int | None = None  # world.edits then (None: unknown, next record forks)
        self._sig: tuple = ()  # what the world looked like then (see _signature)
        self._nbytes = 0
        self._held: dict[int, list] = {}  # id(array) -> [keyframes holding it, its bytes]

    # -- reading ---------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Bytes held by the keyframes' arrays (shared arrays counted once)."""
        return self._nbytes

    def spans(self) -> list[tuple[int, int]]:
        """The restorable ticks as (first, last) runs, oldest first (gaps after a jump)."""
        out: list[tuple[int, int]] = []
        for k in self._keys:
            if out and k.tick <= out[-1][1] + 1:
                out[-1] = (out[-1][0], k.end)
            else:
                out.append((k.tick, k.end))
        return out

    @property
    def first(self) -> int | None:
        return self._keys[0].tick if self._keys else None

    @property
    def last(self) -> int | None:
        return self._keys[-1].end if self._keys else None

    def has(self, tick: int) -> bool:
        return self._key_for(tick) is not None

    # -- commands --------------------------------------------------------------------------
    def clear(self) -> None:
        self._keys = []
        self._nbytes = 0
        self._held = {}
        self._at, self._edits = -1, None

    def record(self, world: World) -> None:
        """Note the world's state after ticks or a command (cheap unless a keyframe is due)."""
        if self._world is None or self._world() is not world:
            self.clear()
            self._world = weakref.ref(world)
        t = int(world.tick_count)
        pure = (bool(self._keys) and world.edits == self._edits and t >= self._at
                and _signature(world) == self._sig)
        if pure:
            if t == self._at:
                return
            self.truncate(self._at)  # continuing from a restored tick: the new future replaces
            key = self._keys[-1]
            key.end = t
            if t - key.tick >= self.interval:
                self._keyframe(world)
        else:
            if self._keys:
                self.truncate(min(self._at, t - 1))
            self._keyframe(world)
        self._at, self._edits, self._sig = t, world.edits, _signature(world)

    def restore(self, world: World, tick: int) -> Any:
        """Put `world` in its recorded state at `tick` (ValueError if the tick is not held).
        Returns the `extra` value of that stretch (None without `extra`)."""
        if self._world is None or self._world() is not world:
            raise ValueError("this timeline recorded another world")
        tick = int(tick)
        key = self._key_for(tick)
        if key is None:
            held = ", ".join(f"{a}..{b}" for a, b in self.spans()) or "nothing"
            raise ValueError(f"tick {tick} is not in the timeline (it holds {held})")
        here = (world.edits == self._edits and world.tick_count == self._at
                and key.tick <= self._at <= tick and _signature(world) == self._sig)
        if not here:  # the world is not already on this stretch, before the tick: load
            world.load_state(key.state)
        world.tick(tick - world.tick_count)
        self._at, self._edits, self._sig = tick, world.edits, _signature(world)
        return key.extra

    def resume(self, world: World) -> None:
        """The owner put `world` back in the state of the last `record` (it looked at the past
        with `restore` and loaded its saved state again): the next record goes on from there
        as if nothing had happened, without forking."""
        if self._world is not None and self._world() is world and self._keys:
            self._at, self._edits, self._sig = int(world.tick_count), world.edits, _signature(world)

    def truncate(self, tick: int) -> None:
        """Forget every tick after `tick` (a fork: a parameter changed there)."""
        tick = int(tick)
        while self._keys and self._keys[-1].tick > tick:
            self._release(self._keys.pop())
        if self._keys and self._keys[-1].end > tick:
            self._keys[-1].end = tick
        if self._at > tick:
            self._edits = None  # the world is past the cut: its next record starts afresh

    # -- inside ----------------------------------------------------------------------------
    def _key_for(self, tick: int) -> _Key | None:
        lo, hi = 0, len(self._keys)
        while lo < hi:  # the last key with key.tick <= tick
            mid = (lo + hi) // 2
            if self._keys[mid].tick <= tick:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return None
        key = self._keys[lo - 1]
        return key if tick <= key.end else None

    def _keyframe(self, world: World) -> None:
        """Save the world as a new keyframe, share unchanged arrays, pick the interval, evict."""
        if world.n * ROW_BYTES * MIN_KEYFRAMES > self.budget_bytes:
            self._keys = []  # too few keyframes would fit: no history
            self._nbytes = 0
            self._held = {}
            return
        like = self._keys[-1].state if self._keys else None
        state = world.save_state(like)
        before = like.arrays if like is not None else {}
        added = sum(a.nbytes for k, a in state.arrays.items() if a is not before.get(k))
        t = int(world.tick_count)
        self._keys.append(_Key(t, state, t, self.extra() if self.extra is not None else None))
        self._hold(self._keys[-1])
        want = math.ceil(self.window_ticks * max(added, 1) / (MARGIN * self.budget_bytes))
        most = min(self.max_interval, max(1, MAX_REPLAY_BALL_TICKS // max(world.n, 1)))
        self.interval = max(1, min(most, want))
        while self._nbytes > self.budget_bytes and len(self._keys) > 1:
            self._release(self._keys.pop(0))

    def _hold(self, key: _Key) -> None:
        """Count a new keyframe's arrays (an array shared with kept keyframes counts once)."""
        for i, a in {id(a): a for a in key.state.arrays.values()}.items():
            held = self._held.get(i)
            if held is None:
                self._held[i] = [1, a.nbytes]
                self._nbytes += a.nbytes
            else:
                held[0] += 1

    def _release(self, key: _Key) -> None:
        """Uncount a dropped keyframe's arrays: bytes go when no kept keyframe holds them."""
        for i in {id(a) for a in key.state.arrays.values()}:
            held = self._held[i]
            held[0] -= 1
            if held[0] == 0:
                self._nbytes -= held[1]
                del self._held[i]
