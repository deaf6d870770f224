"""The race legend's measured rates: how much each lane's error shrinks per tick, beside the
theory where theory is exact.

`RateMeter.observe(world)` keeps, per lane (rule id), samples (tick, ln error) of the lane's
newest alive ball, where the error is its distance to the nearest known minimum (the gradient's
length on a landscape with no known minima). `lane_rates(world, meter)` fits the slope of
ln error against ticks by least squares over the last RATE_WINDOW ticks of clean samples:
rate = exp(slope), per tick. A window fit, not one ratio: a heavy ball's error oscillates
from tick to tick. Samples at the rounding floor are left out, so a lane that has converged
keeps the rate it showed on the way in.

The theory is the exact spectral radius of the lane's one-step map (sim/maps.rule_rate) when
the landscape is a quadratic (the same Hessian everywhere, positive definite) and the rule's
map is linear and fixed (no adaptive rule, no schedule, no noise, no minibatch); nan otherwise.
Never imports pygame.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from sim import instruments as ins
from sim import maps
from sim.world import World

RATE_WINDOW = 120  # ticks of history one fit uses (the most recent clean ones)
RATE_MIN_TICKS = 12  # a lane shows a rate once its clean samples span this many ticks
RATE_CAPACITY = RATE_WINDOW + 1  # samples kept per lane (one per tick at most: a window's worth)
FLOOR_EPS = 64 * np.finfo(np.float64).eps  # relative rounding floor around the minimum
FLOOR_ABS = 1e-250  # absolute floor (a minimum at the origin contracts far below eps)
QUAD_TOL = 1e-9  # relative spread of the Hessian over probe points that still counts as constant


class RateMeter:
    """Per lane (rule id): deque of (tick, ln error) of the lane's newest ball; the row, rule
    and landscape it follows; the world it belongs to. Started over when the world, the row,
    the lane's rule (a new lr, batch ...), the landscape (another one, a data edit) or the
    clock (a reset, a scrub back) changes."""

    def __init__(self) -> None:
        self.lanes: dict[int, tuple[tuple, deque]] = {}
        self.world_id: int | None = None
        self.last_tick = -1

    def observe(self, world: World, last: dict[int, int] | None = None) -> None:
        """Record one sample per lane at world.tick_count (once per tick; repeated calls in
        the same tick, e.g. while paused, add nothing). `last`: ins.last_ball_per_rule(world)
        when the caller has it."""
        tick = int(world.tick_count)
        if self.world_id != id(world) or tick < self.last_tick:
            self.lanes.clear()
            self.world_id = id(world)
        self.last_tick = tick
        last = ins.last_ball_per_rule(world) if last is None else last
        for rid in [r for r in self.lanes if r not in last]:
            del self.lanes[rid]
        if not last:
            return
        rids = list(last)
        rows = np.array([last[r] for r in rids])
        err, floor = lane_errors(world, rows)
        land = world.potential.cache_key
        for rid, row, e, f in zip(rids, rows, err, floor):
            held = self.lanes.get(rid)
            follows = (int(row), world.rules[rid], land)
            if held is None or held[0] != follows:  # a new newest ball, rule or map: a new history
                held = (follows, deque(maxlen=RATE_CAPACITY))
                self.lanes[rid] = held
            if held[1] and held[1][-1][0] == tick:
                continue  # this tick is recorded already (a paused frame)
            if math.isfinite(e) and e > f:
                held[1].append((tick, math.log(e)))


def lane_errors(world: World, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Error [k] of the balls at `rows` (distance to the nearest known minimum, else the
    gradient's length) and the rounding floor [k] below which an error is not contraction."""
    pos = world.particles.pos[rows]
    minima = np.asarray(world.potential.minima, dtype=np.float64).reshape(-1, 2)
    if len(minima):
        d = np.hypot(pos[:, None, 0] - minima[None, :, 0], pos[:, None, 1] - minima[None, :, 1])
        near = np.argmin(d, axis=1)
        scale = np.abs(minima[near]).max(axis=1)
        return d[np.arange(len(rows)), near], FLOOR_EPS * scale + FLOOR_ABS
    g = world.potential.grad(pos)
    return np.hypot(g[:, 0], g[:, 1]), np.full(len(rows), FLOOR_ABS)


def fit_rate(samples: Any, window: int = RATE_WINDOW) -> float:
    """exp(least-squares slope of ln error on tick) over the samples within `window` ticks of
    the newest; nan when they span fewer than RATE_MIN_TICKS ticks."""
    if len(samples) < 2:
        return math.nan
    s = np.array(samples, dtype=np.float64)
    s = s[s[:, 0] >= s[-1, 0] - window]
    t = s[:, 0] - s[:, 0].mean()
    if len(s) < 2 or s[-1, 0] - s[0, 0] < RATE_MIN_TICKS:
        return math.nan
    slope = float(np.dot(t, s[:, 1] - s[:, 1].mean()) / np.dot(t, t))
    return math.exp(slope)


def quadratic_eigs(world: World) -> np.ndarray | None:
    """The Hessian's eigenvalues [2] when the landscape is a positive definite quadratic (the
    Hessian the same at the view's corners, centre and known minima), else None."""
    pot = world.potential
    x0, x1, y0, y1 = pot.view
    probe = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [0.5 * (x0 + x1), 0.5 * (y0 + y1)]])
    probe = np.vstack([probe, np.asarray(pot.minima, dtype=np.float64).reshape(-1, 2)])
    with np.errstate(all="ignore"):
        h = pot.hessian(probe).reshape(len(probe), 4)
    if not np.all(np.isfinite(h)):
        return None
    if np.abs(h - h[0]).max() > QUAD_TOL * max(1.0, np.abs(h[0]).max()):
        return None
    lams = maps.sym_eigs(h[0].reshape(2, 2))[0]
    return lams if lams[1] > 0 else None


def theory_rate(world: World, rid: int, lams: np.ndarray | None) -> float:
    """The exact rate per tick of rule `rid` on the quadratic with eigenvalues `lams`; nan when
    there is no exact linear theory (see the module docstring)."""
    r = world.rules[rid]
    if lams is None or r.schedule != "constant" or r.batch:
        return math.nan
    if r.name == "langevin" and r.temperature > 0.0:
        return math.nan
    return maps.rule_rate(r, lams)


def lane_rates(world: World, meter: RateMeter) -> dict[int, dict[str, float]]:
    """rule id -> {"rate": measured rate per tick (nan until RATE_MIN_TICKS of history),
    "theory": exact rate per tick (nan where not known)}, for every lane the meter follows."""
    lams = quadratic_eigs(world) if meter.lanes else None
    return {rid: {"rate": fit_rate(held[1]), "theory": theory_rate(world, rid, lams)}
            for rid, held in meter.lanes.items()}
