"""Basins: where a ball from each grid point ends up, computed in slices."""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from sim.rules.dynamics import Rule, State, buffer_fields, step
from sim.landscapes.base import Potential, View
from sim.core.ticking import BOUND


BASIN_GRID = (160, 100)
BASIN_MAX_TICKS = 3000
BASIN_TOLERANCE = 1e-6  # |grad V| and per-tick displacement below this: settled
BASIN_CHECK_EVERY = 10  # ticks between settle checks (divergence is checked every tick)
BASIN_TRAP_FRACTION = 0.25  # "trapped": within this fraction of the match radius of a listed minimum
BASIN_TRAP_STEP = 0.01  # ... and moving less than this fraction of the match radius per tick
BASIN_MATCH_FRACTION = 0.02  # match radius to a known minimum, as a fraction of the view diagonal
BASIN_MAX_CLUSTERS = 255  # discovered (unlisted) end points beyond this join the nearest cluster
DIVERGED = -1
MOVING = -2


# ================================================================================================
# Basins
# ================================================================================================

class BasinGrid:
    """What a basin job is, plain (BasinJob) or coarse to fine (basin_levels.FineBasinJob): the
    rule (langevin without its noise), the view and a gx x gy grid over it, the radius that
    matches an end point to a center, the per-ball tick limit and the settle tolerance, the
    centers (the potential's listed minima first), the ticks run and the cancel flag. A
    subclass defines done, labels, progress and advance."""

    def __init__(self, potential: Potential, rule: Rule, view: View, grid: tuple[int, int],
                 max_ticks: int, tolerance: float, match_radius: float | None) -> None:
        self.potential = potential
        self.rule = rule.with_(temperature=0.0) if rule.name == "langevin" else rule
        self.view = tuple(float(v) for v in view)
        gx, gy = int(grid[0]), int(grid[1])
        if gx < 1 or gy < 1:
            raise ValueError("basin grid must be at least 1 x 1")
        self.grid = (gx, gy)
        self.max_ticks = int(max_ticks)
        self.tolerance = float(tolerance)
        x0, x1, y0, y1 = self.view
        self.match_radius = (float(match_radius) if match_radius is not None
                             else BASIN_MATCH_FRACTION * math.hypot(x1 - x0, y1 - y0))
        minima = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
        self.n_listed = len(minima)
        self._centers: list[np.ndarray] = [m for m in minima]
        self.ticks = 0
        self.cancelled = False

    @property
    def centers(self) -> np.ndarray:
        """[m, 2] the point each label >= 0 stands for (listed minima, then clusters)."""
        return np.array(self._centers, dtype=np.float64).reshape(-1, 2)

    @property
    def done(self) -> bool:
        """Whether every start has its final label (or the tick limit is reached)."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """Not done and not cancelled: advance() still has work."""
        return not self.done and not self.cancelled

    def cancel(self) -> None:
        """Stop: later advance() calls do nothing; labels keep what was found so far."""
        self.cancelled = True


class BasinJob(BasinGrid):
    """Where a ball started at each point of a grid over `view` ends up, computed in slices.

    The grid holds gx * gy balls at cell centers, all under `rule` (langevin runs without its
    noise: the basins of the deterministic skeleton), stepped with sim.rules.dynamics.step on this
    job's own buffers (not a World). Call `advance(budget)` between frames; read `labels`
    [gx, gy] (x first, like pygame.surfarray): index into `centers` [m, 2] (the potential's
    listed minima first, then end points found by clustering), DIVERGED (-1), or MOVING (-2:
    not settled yet, or still moving at max_ticks). A ball is settled when |grad V| and its
    last step are both below `tolerance` (world units per tick for the step).
    """

    def __init__(self, potential: Potential, rule: Rule, view: View,
                 grid: tuple[int, int] = BASIN_GRID, max_ticks: int = BASIN_MAX_TICKS,
                 tolerance: float = BASIN_TOLERANCE, match_radius: float | None = None,
                 seed: int = 0, check_every: int = BASIN_CHECK_EVERY,
                 capture: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> None:
        super().__init__(potential, rule, view, grid, max_ticks, tolerance, match_radius)
        # capture(pos [k, 2], vel [k, 2]) -> [k] index of a listed minimum the ball can no longer
        # leave, or -1 (see sim.instruments.basin_levels.energy_traps); checked with the settle test
        self.capture = capture
        (gx, gy), (x0, x1, y0, y1) = self.grid, self.view
        self.check_every = max(int(check_every), 1)
        self.xs = x0 + (np.arange(gx) + 0.5) * ((x1 - x0) / gx)  # [gx] cell centers
        self.ys = y0 + (np.arange(gy) + 0.5) * ((y1 - y0) / gy)  # [gy]
        X, Y = np.meshgrid(self.xs, self.ys, indexing="ij")
        self.points = np.column_stack([X.ravel(), Y.ravel()])  # [gx*gy, 2], row i*gy + j
        n = len(self.points)
        self.end = self.points.copy()  # [n, 2] last position of each ball
        self._labels = np.full(n, MOVING, dtype=np.int32)
        self._rng = np.random.default_rng(seed)
        # compact state of the balls still moving; _idx maps compact rows to grid rows
        self._idx = np.arange(n)
        z = lambda: np.zeros((n, 2))  # noqa: E731
        self._s = State(self.points.copy(), z(), z(), z(), z(), np.zeros(n, dtype=np.int64),
                        np.zeros(n), z(), z(), False,
                        bufs={b: np.zeros((n, *shape), dtype) for b, _, shape, dtype in buffer_fields(self.rule)})
        self._prev = z()

    # -- reading -----------------------------------------------------------------------------
    @property
    def labels(self) -> np.ndarray:
        """[gx, gy] int32 label per grid point (see the class docstring)."""
        return self._labels.reshape(self.grid)

    @property
    def done(self) -> bool:
        """Every ball settled or diverged, or max_ticks run."""
        return len(self._idx) == 0 or self.ticks >= self.max_ticks

    @property
    def progress(self) -> float:
        """Fraction of the work done, in [0, 1]."""
        if self.done:
            return 1.0
        return min(self.ticks / max(self.max_ticks, 1), 1.0)

    # -- commands ----------------------------------------------------------------------------
    def advance(self, budget_ticks: int, max_seconds: float | None = None) -> float:
        """Run up to `budget_ticks` ticks over every ball still moving (and stop early once
        `max_seconds` of wall time have passed). Returns the progress in [0, 1]."""
        if self.cancelled or self.done:
            return self.progress
        t_end = None if max_seconds is None else time.perf_counter() + max_seconds
        todo = min(int(budget_ticks), self.max_ticks - self.ticks)
        with np.errstate(all="ignore"):
            while todo > 0 and len(self._idx):
                k = min(todo, self.check_every - self.ticks % self.check_every)
                self._run(k)
                todo -= k
                if self.ticks % self.check_every == 0 or self.ticks >= self.max_ticks:
                    self._settle()
                if t_end is not None and time.perf_counter() >= t_end:
                    break
        if self.done and len(self._idx):
            self.end[self._idx] = self._s.pos  # still moving at max_ticks: label stays MOVING
        return self.progress

    # -- internals ---------------------------------------------------------------------------
    def _run(self, k: int) -> None:
        """k ticks; the last one records the previous position; divergence checked each tick."""
        for i in range(k):
            s = self._s  # _finish replaces the compact state
            if i == k - 1:
                np.copyto(self._prev, s.pos)
            s.grad_valid = step(self.rule, s, self.potential, self._rng)
            self.ticks += 1
            np.abs(s.pos, out=s.tmp)
            bad = ~(s.tmp[:, 0] + s.tmp[:, 1] <= BOUND)
            if bad.any():
                self._finish(bad, DIVERGED)
                if not len(self._idx):
                    return

    def _finish(self, mask: np.ndarray, label: int | np.ndarray) -> None:
        """Retire the compact rows in mask [k] with label(s); keep the others compact."""
        rows = self._idx[mask]
        self._labels[rows] = label
        pos = self._s.pos[mask]
        finite = np.isfinite(pos).all(axis=1)
        self.end[rows[finite]] = pos[finite]
        keep = ~mask
        s = self._s
        self._idx = self._idx[keep]
        self._s = State(s.pos[keep], s.vel[keep], s.grad[keep], s.buf_a[keep], s.buf_b[keep],
                        s.steps[keep], s.dissipated[keep], s.tmp[keep], s.tmp2[keep], s.grad_valid,
                        bufs={b: a[keep] for b, a in s.bufs.items()})
        self._prev = self._prev[keep]

    def _settle(self) -> None:
        s = self._s
        if not len(self._idx):
            return
        if self.capture is not None:
            got = (self.capture(s.pos, s.vel, s.buf_b) if getattr(self.capture, "needs_state", False)
                   else self.capture(s.pos, s.vel))  # AdaGrad's traps read its sums
            if (got >= 0).any():
                self._finish(got >= 0, got[got >= 0])
                s = self._s
                if not len(self._idx):
                    return
        g = self.potential.grad(s.pos)
        gn = np.hypot(g[:, 0], g[:, 1])
        dn = np.hypot(s.pos[:, 0] - self._prev[:, 0], s.pos[:, 1] - self._prev[:, 1])
        settled = (gn <= self.tolerance) & (dn <= self.tolerance)
        if self.n_listed:
            # trapped: slow and deep inside a listed minimum's match radius (an underdamped
            # Newtonian ball rings down there for a long time before meeting the tolerance)
            m = np.asarray(self._centers[: self.n_listed])
            d2 = ((s.pos[:, None, :] - m[None, :, :]) ** 2).sum(axis=2).min(axis=1)
            r = BASIN_TRAP_FRACTION * self.match_radius
            settled |= (d2 <= r * r) & (dn <= BASIN_TRAP_STEP * self.match_radius)
        if settled.any():
            self._finish(settled, self._classify(s.pos[settled]))

    def _classify(self, pts: np.ndarray) -> np.ndarray:
        """Label end points pts [k, 2]: nearest center within match_radius, else new clusters."""
        out = np.full(len(pts), MOVING, dtype=np.int32)
        r2 = self.match_radius ** 2
        todo = np.ones(len(pts), dtype=bool)
        while todo.any():
            if self._centers:
                c = np.array(self._centers)
                d2 = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)  # [k, m]
                near = d2.argmin(axis=1)
                hit = todo & (d2[np.arange(len(pts)), near] <= r2)
                out[hit] = near[hit]
                todo &= ~hit
                if todo.any() and len(self._centers) >= self.n_listed + BASIN_MAX_CLUSTERS:
                    out[todo] = near[todo]
                    break
            if todo.any():
                self._centers.append(pts[np.flatnonzero(todo)[0]].copy())
        return out
