"""The fixed-timestep accumulator (Fiedler, "Fix Your Timestep"), as a pure function.

Real time is measured in seconds. The simulation advances in ticks; at time scale 1 there are
TICK_HZ ticks per real second, whatever the frame rate.
"""
from __future__ import annotations

import math
from typing import NamedTuple

TICK_HZ = 60.0
TICK_SECONDS = 1.0 / TICK_HZ
MAX_FRAME_SECONDS = 0.25  # clamp against the spiral of death
MAX_TICKS_PER_FRAME = 240  # hard cap on work per frame; excess time is dropped, not owed


class Advance(NamedTuple):
    ticks: int  # how many fixed ticks to run this frame
    acc: float  # accumulator left over, in seconds of scaled time
    alpha: float  # interpolation factor in [0, 1): how far between the last two states to draw


def advance(
    acc: float,
    frame_seconds: float,
    time_scale: float = 1.0,
    tick_seconds: float = TICK_SECONDS,
    max_frame: float = MAX_FRAME_SECONDS,
    max_ticks: int = MAX_TICKS_PER_FRAME,
) -> Advance:
    """One frame of the accumulator: clamp the frame time, scale it, count whole ticks.

    A negative or non-finite frame time counts as zero (clocks can jump). Never returns more
    than `max_ticks`; when it would, the leftover time is dropped so the loop cannot fall behind.
    """
    if not math.isfinite(frame_seconds) or frame_seconds < 0.0:
        frame_seconds = 0.0
    frame_seconds = min(frame_seconds, max_frame)
    acc = acc + frame_seconds * max(time_scale, 0.0)
    ticks = int(acc // tick_seconds)
    if ticks > max_ticks:
        ticks = max_ticks
        acc = 0.0
    else:
        acc -= ticks * tick_seconds
        # guard against rounding that leaves acc a hair below zero or at a full tick
        acc = min(max(acc, 0.0), math.nextafter(tick_seconds, 0.0))
    return Advance(ticks, acc, acc / tick_seconds)
