"""Basins at screen resolution, refined coarse to fine: `FineBasinJob`.

The fine grid (one start per BASIN_PIXELS x BASIN_PIXELS screen pixels: 640 x 400 = 256,000
starts in a 1280 x 800 map) is computed level by level: first every S-th point (S a power of
two), then the points halfway between, down to every point. Each point is computed exactly
once, and until a point is computed the map shows the label of its coarser neighbour, so the
picture sharpens in place and the window never waits for the whole job. Each level is cut
into tiles of at most TILE_POINTS starts, each a `sim.instruments.basins.BasinJob` over a regular
sub-grid (a shifted view); tiles share one list of centers, so a basin keeps its label (and
colour) from level to level. Same interface as BasinJob: advance / cancel / labels [gx, gy] /
centers / done / running / progress / ticks / max_ticks / grid / view / rule.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from sim.instruments.basins import BASIN_MAX_CLUSTERS, BASIN_MAX_TICKS, BASIN_TOLERANCE, BasinGrid, BasinJob, DIVERGED, MOVING
from sim.rules.dynamics import Rule
from sim.landscapes.base import Potential, View
from sim.maps.why import lam_max as maps_lam_max

# --- constants ---------------------------------------------------------------------------------
BASIN_PIXELS = 2  # one start per BASIN_PIXELS x BASIN_PIXELS screen pixels
COARSE_SIDE = 40  # the first level has about this many starts along the shorter side (or fewer)
TILE_POINTS = 16384  # starts per tile (one BasinJob)
TRAP_ANGLES = 720  # samples on each ring around a minimum
TRAP_RADII = 32  # rings tried per minimum
TRAP_MARGIN = 0.1  # the capture energy stays this fraction of the barrier below the ring's V
TRAP_CURVATURE_MARGIN = 1.1  # gd: lr x this x the largest curvature sampled on a disk < 2


@dataclass(frozen=True)
class Tile:
    """A regular sub-grid of the fine grid: fine indices i0 + step*k (k < ni), j0 + step*l
    (l < nj); each start paints a block x block square of the fine grid from its own index."""

    i0: int
    j0: int
    step: int
    ni: int
    nj: int
    block: int

    @property
    def size(self) -> int:
        return self.ni * self.nj


def coarse_stride(gx: int, gy: int, side: int = COARSE_SIDE) -> int:
    """The first level's stride: the largest power of two leaving >= `side` starts along the
    shorter side (1 for small grids)."""
    s = 1
    while min(gx, gy) // (2 * s) >= side:
        s *= 2
    return s


def level_tiles(gx: int, gy: int, stride: int, tile_points: int = TILE_POINTS) -> list[Tile]:
    """Every tile, coarsest level first. Level `stride` computes the multiples of `stride`; each
    later level s the points with an odd multiple of s in i or j (three sub-grids of step 2s)."""
    out: list[Tile] = []

    def cut(i0: int, j0: int, step: int, block: int) -> None:
        ni, nj = -(-(gx - i0) // step), -(-(gy - j0) // step)
        if ni <= 0 or nj <= 0:
            return
        per = max(tile_points // nj, 1)  # columns (x) per tile
        for k in range(0, ni, per):
            out.append(Tile(i0 + k * step, j0, step, min(per, ni - k), nj, block))

    cut(0, 0, stride, stride)
    s = stride // 2
    while s >= 1:
        for i0, j0 in ((s, 0), (0, s), (s, s)):
            cut(i0, j0, 2 * s, s)
        s //= 2
    return out


class EnergyTraps:
    """Disks around listed minima a damped Newtonian ball (or a gd ball) can never leave.

    For minimum i: a disk of radius r_i on which V is convex (so it holds no other minimum),
    and an energy e_i below min V on its rim. A ball inside the disk with 1/2 m |v|^2 + V(x) <
    e_i cannot cross the rim (friction only takes energy out), so it ends at minimum i. The
    same holds for gd (v = 0) when lr lam_hi_i < 2, lam_hi_i the largest curvature seen on the
    disk: each step then lowers V along its whole segment (the descent lemma), so no step can
    cross the rim. Calling the object with pos [n, 2], vel [n, 2] gives the minimum's index [n]
    or -1.
    """

    def __init__(self, centers: np.ndarray, radii: np.ndarray, energies: np.ndarray,
                 potential: Potential, mass: float, lam_hi: np.ndarray | None = None) -> None:
        self.centers, self.radii, self.energies = centers, radii, energies
        self.potential, self.mass = potential, float(mass)
        self.lam_hi = np.full(len(radii), np.inf) if lam_hi is None else lam_hi

    def for_gd(self, lr: float) -> "EnergyTraps":
        """The disks a gd ball at step lr cannot leave (the others get radius 0)."""
        ok = lr * TRAP_CURVATURE_MARGIN * self.lam_hi < 2.0
        return EnergyTraps(self.centers, np.where(ok, self.radii, 0.0), self.energies,
                           self.potential, 0.0, self.lam_hi)

    def __call__(self, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
        out = np.full(len(pos), -1, dtype=np.int32)
        if not len(pos):
            return out
        with np.errstate(all="ignore"):
            e = 0.5 * self.mass * (vel[:, 0] ** 2 + vel[:, 1] ** 2) + self.potential.value(pos)
            for i, (c, r, lim) in enumerate(zip(self.centers, self.radii, self.energies)):
                if r > 0:
                    d2 = (pos[:, 0] - c[0]) ** 2 + (pos[:, 1] - c[1]) ** 2
                    out[(d2 < r * r) & (e < lim)] = i
        return out


class AdaGradTraps:
    """The same disks for an AdaGrad ball (pos [n, 2], vel [n, 2], state_sum [n, 2] -> the
    minimum's index [n] or -1). AdaGrad's step is D g with D = diag(lr / (sqrt(sum g^2) + eps)),
    and its sums only grow, so D only shrinks. Along the step, dV/dt <= -sum D_i g_i^2
    (1 - t lam_hi D_i) < 0 once lam_hi max D < 2: V falls along the whole segment (the descent
    lemma with a diagonal preconditioner), so a ball inside a disk with V below its capture
    energy can never cross the rim, now or later."""

    needs_state = True  # sim.instruments.basins.BasinJob passes the optimizer's sums

    def __init__(self, traps: EnergyTraps, lr: float, eps: float) -> None:
        self.traps, self.lr, self.eps = traps, float(lr), float(eps)

    def __call__(self, pos: np.ndarray, vel: np.ndarray, state_sum: np.ndarray) -> np.ndarray:
        t = self.traps
        out = np.full(len(pos), -1, dtype=np.int32)
        if not len(pos):
            return out
        with np.errstate(all="ignore"):
            d_max = self.lr / (np.sqrt(np.min(state_sum, axis=1)) + self.eps)  # [n] largest D_i
            v = t.potential.value(pos)
            for i, (c, r, lim) in enumerate(zip(t.centers, t.radii, t.energies)):
                if r > 0:
                    d2 = (pos[:, 0] - c[0]) ** 2 + (pos[:, 1] - c[1]) ** 2
                    ok = d_max * TRAP_CURVATURE_MARGIN * t.lam_hi[i] < 2.0
                    out[(d2 < r * r) & (v < lim) & ok] = i
        return out


def energy_traps(potential: Potential, mass: float, view: View) -> EnergyTraps | None:
    """The EnergyTraps of a landscape's listed minima (None when it lists none).

    Rings of growing radius (up to half the distance to the nearest other minimum, or a quarter
    of the view's diagonal) are sampled while the Hessian stays positive definite on them; the
    rim energy is min V on the ring less |grad V| x half the sample spacing, and the disk kept
    is the one with the highest rim; the capture energy keeps TRAP_MARGIN of the barrier spare
    (Verlet's energy wobbles by O(dt^2)).
    """
    minima = np.asarray(potential.minima, dtype=np.float64).reshape(-1, 2)
    if not len(minima):
        return None
    x0, x1, y0, y1 = (float(v) for v in view)
    far = 0.25 * math.hypot(x1 - x0, y1 - y0)
    ang = np.linspace(0.0, 2.0 * math.pi, TRAP_ANGLES, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)])
    radii, energies = np.zeros(len(minima)), np.full(len(minima), -np.inf)
    lam_hi = np.full(len(minima), np.inf)
    for i, c in enumerate(minima):
        peak = float(maps_lam_max(potential, c.reshape(1, 2)).max())
        others = np.delete(minima, i, axis=0)
        r_hi = min(0.5 * float(np.hypot(*(others - c).T).min()), far) if len(others) else far
        v0 = float(potential.value(c.reshape(1, 2))[0])
        for r in r_hi * np.arange(1, TRAP_RADII + 1) / TRAP_RADII:
            pts = c + r * ring
            h = potential.hessian(pts)
            det = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0]
            if not ((h[:, 0, 0] > 0) & (det > 0)).all():
                break
            peak = max(peak, float(maps_lam_max(potential, pts).max()))
            g = potential.grad(pts)
            rim = potential.value(pts).min() - np.hypot(g[:, 0], g[:, 1]).max() * math.pi * r / TRAP_ANGLES
            if rim > v0 and rim > energies[i]:
                radii[i], energies[i] = r, v0 + (1.0 - TRAP_MARGIN) * (rim - v0)
                lam_hi[i] = peak
    return EnergyTraps(minima, radii, energies, potential, mass, lam_hi)


class FineBasinJob(BasinGrid):
    """Where a ball from each point of a gx x gy grid over `view` ends up, coarse to fine.

    Labels as `sim.instruments.basins.BasinJob`: index into `centers`, DIVERGED or MOVING. A start
    not computed yet shows its coarser neighbour's label. `max_ticks` is the per-ball limit
    given; `max_ticks_total` (what `advance` needs to finish everything) is its sum over tiles.
    A damped Verlet / BAOAB ball, or a gd ball, is labelled as soon as its energy traps it near
    a listed minimum (`energy_traps`), long before it stops ringing or crawling.
    """

    def __init__(self, potential: Potential, rule: Rule, view: View, grid: tuple[int, int],
                 max_ticks: int = BASIN_MAX_TICKS, tolerance: float = BASIN_TOLERANCE,
                 match_radius: float | None = None, seed: int = 0,
                 tile_points: int = TILE_POINTS, coarse_side: int = COARSE_SIDE) -> None:
        super().__init__(potential, rule, view, grid, max_ticks, tolerance, match_radius)
        gx, gy = self.grid
        self.seed = int(seed)
        self.tiles = level_tiles(gx, gy, coarse_stride(gx, gy, coarse_side), tile_points)
        self.max_ticks_total = self.max_ticks * len(self.tiles)
        self._labels = np.full((gx, gy), MOVING, dtype=np.int32)
        self.tiles_done = 0
        self._points_done = 0
        self._job: BasinJob | None = None
        self._map = np.arange(self.n_listed, dtype=np.int32)  # current tile's label -> ours
        self._counts_key: tuple | None = None
        self._counts = (0, 0, 0, 0)
        r = self.rule
        damped = r.newtonian and r.friction > 0 and (r.name == "langevin" or r.integrator == "verlet")
        trapped = damped or r.name in ("gd", "adagrad")
        self.traps = energy_traps(potential, r.mass, self.view) if trapped else None
        if r.name == "gd" and self.traps is not None:
            self.traps = self.traps.for_gd(r.lr)
        if r.name == "adagrad" and self.traps is not None:
            self.traps = AdaGradTraps(self.traps, r.lr, r.eps_value)

    # -- reading -----------------------------------------------------------------------------
    @property
    def labels(self) -> np.ndarray:
        """[gx, gy] int32 label per fine grid point (coarser neighbour's until computed)."""
        return self._labels

    @property
    def done(self) -> bool:
        """Every tile computed."""
        return self.tiles_done >= len(self.tiles)

    @property
    def progress(self) -> float:
        """Fraction of the starts computed (the current tile counted by its own progress)."""
        if self.done:
            return 1.0
        total = self.grid[0] * self.grid[1]
        part = 0.0
        if self._job is not None:
            part = self._job.progress * self.tiles[self.tiles_done].size
        return min((self._points_done + part) / total, 1.0)

    def label_counts(self) -> tuple[int, int, int, int]:
        """(starts, basins in use, diverged, still moving), recounted only when the labels may
        have changed (a window draws the summary every frame)."""
        key = (self.ticks, self.tiles_done, self.cancelled)
        if self._counts_key != key:
            lab = self._labels
            k = np.bincount(lab[lab >= 0].ravel()) if (lab >= 0).any() else np.zeros(0)
            self._counts = (int(lab.size), int(np.count_nonzero(k)),
                            int((lab == DIVERGED).sum()), int((lab == MOVING).sum()))
            self._counts_key = key
        return self._counts

    @property
    def level_stride(self) -> int:
        """The block size the map shows now (1 once every start is computed)."""
        return 1 if self.done else self.tiles[self.tiles_done].block

    # -- commands ----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop, this job and its current tile's."""
        super().cancel()
        if self._job is not None:
            self._job.cancel()

    def advance(self, budget_ticks: int, max_seconds: float | None = None) -> float:
        """Run tiles in order for up to `budget_ticks` ball-ticks of tile time (each tile's own
        tick count) and at most `max_seconds` of wall time. Returns the progress in [0, 1]."""
        t_end = None if max_seconds is None else time.perf_counter() + max_seconds
        budget = int(budget_ticks)
        while budget > 0 and self.running:
            job = self._job if self._job is not None else self._start(self.tiles[self.tiles_done])
            left = None if t_end is None else max(t_end - time.perf_counter(), 0.0)
            before = job.ticks
            job.advance(budget, max_seconds=left)
            used = job.ticks - before
            self.ticks += used
            budget -= used
            tile = self.tiles[self.tiles_done]
            self._paint(tile, job, final=job.done)
            if job.done:
                self._points_done += tile.size
                self.tiles_done += 1
                self._job = None
            elif used == 0 or (t_end is not None and time.perf_counter() >= t_end):
                break
        return self.progress

    # -- internals ---------------------------------------------------------------------------
    def _start(self, tile: Tile) -> BasinJob:
        """The BasinJob of one tile: its sub-grid's cell centers are fine-grid cell centers."""
        x0, x1, y0, y1 = self.view
        cw, ch = (x1 - x0) / self.grid[0], (y1 - y0) / self.grid[1]
        a = x0 + (tile.i0 + 0.5 - 0.5 * tile.step) * cw
        b = y0 + (tile.j0 + 0.5 - 0.5 * tile.step) * ch
        sub = (a, a + tile.ni * tile.step * cw, b, b + tile.nj * tile.step * ch)
        self._job = BasinJob(self.potential, self.rule, sub, grid=(tile.ni, tile.nj),
                                 max_ticks=self.max_ticks, tolerance=self.tolerance,
                                 match_radius=self.match_radius,
                                 seed=self.seed + self.tiles_done, capture=self.traps)
        self._map = np.arange(self.n_listed, dtype=np.int32)
        return self._job

    def _global_labels(self, job: BasinJob) -> np.ndarray:
        """The tile's labels [ni, nj] in this job's numbering (its new clusters matched to ours
        within match_radius, or added; past the cluster cap, the nearest)."""
        centers = job.centers
        cap = self.n_listed + BASIN_MAX_CLUSTERS
        r2 = self.match_radius ** 2
        for c in centers[len(self._map):]:
            ours = np.array(self._centers).reshape(-1, 2)
            d2 = ((ours - c) ** 2).sum(axis=1) if len(ours) else np.zeros(0)
            if len(d2) and (d2.min() <= r2 or len(ours) >= cap):
                k = int(d2.argmin())
            else:
                self._centers.append(np.array(c, dtype=np.float64))
                k = len(self._centers) - 1
            self._map = np.append(self._map, np.int32(k))
        lab = job.labels
        out = lab.copy()
        known = lab >= 0
        out[known] = self._map[lab[known]]
        return out

    def _paint(self, tile: Tile, job: BasinJob, final: bool) -> None:
        """Write the tile's labels into its blocks (settled ones only until the tile is done)."""
        gx, gy = self.grid
        lab = self._global_labels(job)
        st, bl = tile.step, tile.block
        i_end = tile.i0 + st * tile.ni
        j_end = tile.j0 + st * tile.nj
        if not final:
            anchor = self._labels[tile.i0:i_end:st, tile.j0:j_end:st]
            lab = np.where(lab == MOVING, anchor, lab)
        for di in range(bl):
            for dj in range(bl):
                view = self._labels[tile.i0 + di:min(i_end + di, gx):st,
                                    tile.j0 + dj:min(j_end + dj, gy):st]
                view[...] = lab[:view.shape[0], :view.shape[1]]
