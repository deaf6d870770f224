"""The race legend's measured rates: how much each lane's error shrinks per tick, beside the
theory where theory is exact, and "measuring…" while the measurement cannot yet tell.

`RateMeter.observe(world)` keeps, per lane (rule id), samples (tick, ln error, d) of the lane's
newest alive ball, d [2] its displacement from the nearest known minimum (the gradient on a
landscape with no known minima) and the error |d|. `lane_rates(world, meter)` measures:

- The recurrence fit (`recurrence_rate`): near a minimum every fixed linear rule (gd, heavy
  ball, nesterov, newton, newton_method) makes d obey d_{k+1} = A1 d_k + A2 d_{k-1}, 2 x 2
  matrices, exactly on a quadratic (the state is (x, u) or (x, v); d_k and d_{k+1} determine
  it). A least-squares fit of A1, A2 over the window (each equation scaled by its size, so
  every tick counts alike) gives the companion matrix [[A1, A2], [I, 0]], whose spectral radius
  is the rate, exact whatever the error does on the way: oscillations longer than the window
  (newton on the ravine, a 314-tick period) or k rho^k (a double eigenvalue: the condition
  number lesson's best heavy ball). The fit's relative residual says whether the lane obeys
  one fixed linear law at all (FIT_TOL).
- Otherwise (adaptive rules, noise, far from a minimum) the envelope: the least-squares slope
  of ln error over a window of at least RATE_WINDOW ticks and two periods of the fitted slow
  mode, shown only when the slopes of its two halves agree.
A number is shown only once it is stable: the estimate now and the one LAG ticks back (long
enough for the error to halve at that rate) agree to half a unit of the last digit shown
(`rate_digits`: 1 - rate to three significant digits). Until then the lane says "measuring";
a lane whose error is already at the rounding floor with no estimate says "floor". Samples at
the floor are left out, so a lane that has converged keeps the rate it showed on the way in.

The theory is the exact spectral radius of the lane's one-step map (sim/maps.rule_rate) when
the landscape is a quadratic (the same Hessian everywhere, positive definite) and the rule's
map is linear and fixed (no adaptive rule, no schedule, no noise, no minibatch); nan otherwise.
Never imports pygame.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.instruments.race import last_ball_per_rule
from sim.maps.rates import rule_rate
from sim.maps.quadratic import sym_eigs
from sim.core.world import World

RATE_WINDOW = 120  # ticks: the shortest envelope window (and the recurrence fit's window)
RATE_MIN_TICKS = 12  # a lane's samples must span this many ticks before any estimate
RATE_CAPACITY = 2048  # samples kept per lane (one per tick at most)
FLOOR_EPS = 64 * np.finfo(np.float64).eps  # relative rounding floor around the minimum
FLOOR_ABS = 1e-250  # absolute floor (a minimum at the origin contracts far below eps)
QUAD_TOL = 1e-9  # relative spread of the Hessian over probe points that still counts as constant
FIT_TOL = 1e-6  # relative residual under which the lane obeys one fixed 2-step linear law
FIT_WINDOWS = (RATE_WINDOW, 60, 30, 15, 8)  # ticks: the widest clean recurrence fit is used
FIT_HEADROOM = math.log(1e5)  # the fit stops where the error first comes this near the
#                               rounding floor (its relative noise there ~ 1/(64 x 1e5))
FIT_RCOND = 1e-10  # singular values below this x the largest are dropped (unexcited modes)
MAX_SPACING = 8  # frames that advance up to this many ticks still give a uniform subsequence
MIN_EQUATIONS = 6  # recurrence equations (tick triples) a fit needs
LAG_MIN, LAG_MAX = 4, 1000  # ticks between the two estimates that must agree
UNSTEADY_TICKS = 1000  # a history this long with no stable estimate: "no steady rate yet"


class Samples:
    """A lane's newest samples, rows (tick, ln error, dx, dy, ln floor), at most `capacity`
    of them, kept in one float64 array (appending is O(1) amortized; `array()` is a view)."""

    def __init__(self, capacity: int = RATE_CAPACITY) -> None:
        self.capacity = capacity
        self._buf = np.empty((2 * capacity, 5))
        self._lo = self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    def append(self, row: tuple) -> None:
        if self._hi == len(self._buf):  # full: move the newest capacity - 1 rows to the front
            keep = self.capacity - 1
            self._buf[:keep] = self._buf[self._hi - keep: self._hi]
            self._lo, self._hi = 0, keep
        self._buf[self._hi] = row
        self._hi += 1
        self._lo = max(self._lo, self._hi - self.capacity)

    def array(self) -> np.ndarray:
        """[len, 5] view, oldest first."""
        return self._buf[self._lo: self._hi]


class RateMeter:
    """Per lane (rule id): (what it follows, Samples (tick, ln error, dx, dy, ln floor) of the lane's
    newest ball, [whether its newest observation was at the rounding floor]); the world it
    belongs to. Started over when the world, the row, the lane's rule (a new lr, batch ...),
    the landscape (another one, a data edit) or the clock (a reset, a scrub back) changes."""

    def __init__(self) -> None:
        self.lanes: dict[int, tuple[tuple, Samples, list]] = {}
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
        last = last_ball_per_rule(world) if last is None else last
        for rid in [r for r in self.lanes if r not in last]:
            del self.lanes[rid]
        if not last:
            return
        rids = list(last)
        rows = np.array([last[r] for r in rids])
        d, floor = lane_displacements(world, rows)
        err = np.hypot(d[:, 0], d[:, 1])
        land = world.potential.cache_key
        for rid, row, e, f, dv in zip(rids, rows, err, floor, d):
            held = self.lanes.get(rid)
            follows = (int(row), world.rules[rid], land)
            if held is None or held[0] != follows:  # a new newest ball, rule or map: a new history
                held = (follows, Samples(), [False, -1])
                self.lanes[rid] = held
            if held[2][1] == tick:
                continue  # this tick is observed already (a paused frame)
            held[2][1] = tick
            clean = bool(math.isfinite(e) and e > f)
            held[2][0] = not clean and bool(math.isfinite(e))
            if clean:
                held[1].append((tick, math.log(e), float(dv[0]), float(dv[1]), math.log(f)))


def lane_displacements(world: World, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Displacement [k, 2] of the balls at `rows` from the nearest known minimum (else the
    gradient) and the rounding floor [k] below which its length is not contraction."""
    pos = world.particles.pos[rows]
    minima = np.asarray(world.potential.minima, dtype=np.float64).reshape(-1, 2)
    if len(minima):
        d = np.hypot(pos[:, None, 0] - minima[None, :, 0], pos[:, None, 1] - minima[None, :, 1])
        near = np.argmin(d, axis=1)
        scale = np.abs(minima[near]).max(axis=1)
        return pos - minima[near], FLOOR_EPS * scale + FLOOR_ABS
    return world.potential.grad(pos), np.full(len(rows), FLOOR_ABS)


def lane_errors(world: World, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Error [k] of the balls at `rows` (distance to the nearest known minimum, else the
    gradient's length) and the rounding floor [k] below which an error is not contraction."""
    d, floor = lane_displacements(world, rows)
    return np.hypot(d[:, 0], d[:, 1]), floor


def fit_rate(samples: Any, window: int = RATE_WINDOW) -> float:
    """exp(least-squares slope of ln error on tick) over the samples within `window` ticks of
    the newest; nan when they span fewer than RATE_MIN_TICKS ticks. (The envelope estimate;
    samples are (tick, ln error, ...).)"""
    if len(samples) < 2:
        return math.nan
    s = np.asarray(samples, dtype=np.float64)[:, :2]
    s = s[s[:, 0] >= s[-1, 0] - window]
    t = s[:, 0] - s[:, 0].mean()
    if len(s) < 2 or s[-1, 0] - s[0, 0] < RATE_MIN_TICKS:
        return math.nan
    slope = float(np.dot(t, s[:, 1] - s[:, 1].mean()) / np.dot(t, t))
    return math.exp(slope)


def _uniform_run(ticks: np.ndarray) -> tuple[np.ndarray, int]:
    """(indices of the longest run ending at the newest sample in which ticks step by one
    spacing s, s) for the smallest s <= MAX_SPACING giving MIN_EQUATIONS + 2 samples."""
    last = ticks[-1]
    for s in range(1, MAX_SPACING + 1):
        on = np.flatnonzero((last - ticks) % s == 0)
        t = ticks[on]
        gaps = np.flatnonzero(np.diff(t) != s)
        start = gaps[-1] + 1 if len(gaps) else 0
        run = on[start:]
        if len(run) >= MIN_EQUATIONS + 2:
            return run, s
    return np.zeros(0, dtype=np.intp), 1


def recurrence_rate(samples: Any) -> tuple[float, float, float]:
    """(rate per tick, relative residual, slow mode's angle per tick in radians) of the fitted
    law d_{k+1} = A1 d_k + A2 d_{k-1} over the newest samples (tick, ln error, dx, dy[, ln
    floor]) clear of the floor (_clear): the widest of FIT_WINDOWS whose residual
    is within FIT_TOL, else the narrowest (its residual then says it failed); nan when there
    are too few samples."""
    if len(samples) < MIN_EQUATIONS + 2:
        return math.nan, math.nan, math.nan
    a = _clear(np.asarray(samples, dtype=np.float64))
    got = (math.nan, math.nan, math.nan)
    for window in FIT_WINDOWS:
        got = _recurrence_fit(a, window)
        if math.isfinite(got[1]) and got[1] <= FIT_TOL:
            return got
    return got


def _clear(a: np.ndarray) -> np.ndarray:
    """The samples a [k, m] before the first within FIT_HEADROOM of the floor (column 4; all
    of them when there is none): a run with no holes where a heavy ball's error dips."""
    if a.shape[1] < 5:
        return a
    low = np.flatnonzero(a[:, 1] - a[:, 4] < FIT_HEADROOM)
    return a[: low[0]] if len(low) else a


def _recurrence_fit(a: np.ndarray, window: int) -> tuple[float, float, float]:
    """recurrence_rate's fit over the samples a [k, >= 4] within `window` ticks of the newest."""
    if len(a) < MIN_EQUATIONS + 2:
        return math.nan, math.nan, math.nan
    a = a[a[:, 0] >= a[-1, 0] - window]
    if len(a) < MIN_EQUATIONS + 2:
        return math.nan, math.nan, math.nan
    run, s = _uniform_run(a[:, 0].astype(np.int64))
    if not len(run):
        return math.nan, math.nan, math.nan
    d = a[run, 2:4]
    x = np.hstack([d[1:-1], d[:-2]])  # [d_k, d_{k-1}]
    y = d[2:]  # d_{k+1}
    scale = 1.0 / np.maximum(np.abs(x).max(axis=1), np.abs(y).max(axis=1))[:, None]
    x, y = x * scale, y * scale
    coef, *_ = np.linalg.lstsq(x, y, rcond=FIT_RCOND)  # [4, 2]: y = x @ coef
    resid = float(np.linalg.norm(x @ coef - y) / max(np.linalg.norm(y), 1e-300))
    comp = np.zeros((4, 4))
    comp[:2] = coef.T
    comp[2:, :2] = np.eye(2)
    if not np.all(np.isfinite(comp)):
        return math.nan, math.nan, math.nan
    eig = np.linalg.eigvals(comp)
    top = int(np.argmax(np.abs(eig)))
    rho = float(abs(eig[top]))
    return rho ** (1.0 / s), resid, abs(float(np.angle(eig[top]))) / s


def rate_digits(rate: float) -> int:
    """Decimals that show 1 - rate to three significant digits (3 at least, 8 at most)."""
    gap = abs(1.0 - rate)
    if not math.isfinite(gap):
        return 8
    if gap == 0.0:
        return 3  # exactly 1 (no friction): "1.000"
    return int(min(8, max(3, 2 - math.floor(math.log10(gap)))))


def _lag(rate: float) -> int:
    """Ticks back to the second estimate: long enough for the error to fall 4-fold at `rate`
    (an estimate whose bias shrinks like the error^p, p >= 1/2, then differs from the one
    before by at least its bias)."""
    if not (0.0 < rate < 1.0):
        return LAG_MIN
    return int(min(LAG_MAX, max(LAG_MIN, math.ceil(math.log(4.0) / -math.log(rate)))))


def _upto(samples: np.ndarray, tick: float) -> np.ndarray:
    """The rows of samples [k, m] (ticks ascending) at or before `tick`."""
    return samples[: int(np.searchsorted(samples[:, 0], tick, side="right"))]


def _envelope(samples: np.ndarray, theta: float) -> float:
    """The envelope estimate: the slope over max(RATE_WINDOW, two slow periods) ticks, nan
    unless the slopes of the window's two halves agree to the digits shown."""
    if len(samples) < 2:
        return math.nan
    period = 2.0 * math.pi / theta if math.isfinite(theta) and theta > 1e-12 else 0.0
    window = int(min(RATE_CAPACITY - 1, max(RATE_WINDOW, 2.0 * period)))
    newest = samples[-1][0]
    if newest - samples[0][0] < window:
        return math.nan  # not yet a whole window
    whole = fit_rate(samples, window)
    late = fit_rate(samples, window // 2)
    early = fit_rate(_upto(samples, newest - window // 2), window // 2)
    if not all(math.isfinite(v) for v in (whole, late, early)):
        return math.nan
    tol = 0.5 * 10.0 ** -rate_digits(whole)
    return whole if abs(late - early) <= tol else math.nan


def measure(samples: Any) -> tuple[float, str]:
    """(rate per tick, "measured") once the estimate is stable, else (nan, "measuring"), or
    (nan, "unsteady") when UNSTEADY_TICKS of history gave no stable estimate."""
    if len(samples) < 2:
        return math.nan, "measuring"
    samples = np.asarray(samples, dtype=np.float64)
    rate, status = _measure(samples)
    if status == "measuring" and samples[-1][0] - samples[0][0] >= UNSTEADY_TICKS:
        status = "unsteady"
    return rate, status


def _measure(samples: np.ndarray) -> tuple[float, str]:
    """measure's two estimates: the recurrence, checked against itself LAG ticks back (both
    over the samples clear of the floor), else the envelope, checked the same way."""
    clear = _clear(samples)
    rate, resid, theta = recurrence_rate(clear)
    if math.isfinite(rate) and resid <= FIT_TOL:
        before = _upto(clear, clear[-1][0] - _lag(rate))
        old, old_resid, _ = recurrence_rate(before)
        if math.isfinite(old) and old_resid <= FIT_TOL and \
                abs(old - rate) <= 0.5 * 10.0 ** -rate_digits(rate):
            return rate, "measured"
        return math.nan, "measuring"
    env = _envelope(samples, theta)
    if math.isfinite(env):
        before = _upto(samples, samples[-1][0] - _lag(env))
        old = _envelope(before, theta)
        if math.isfinite(old) and abs(old - env) <= 0.5 * 10.0 ** -rate_digits(env):
            return env, "measured"
    return math.nan, "measuring"


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
    lams = sym_eigs(h[0].reshape(2, 2))[0]
    return lams if lams[1] > 0 else None


def theory_rate(world: World, rid: int, lams: np.ndarray | None) -> float:
    """The exact rate per tick of rule `rid` on the quadratic with eigenvalues `lams`; nan when
    there is no exact linear theory (see the module docstring)."""
    r = world.rules[rid]
    if lams is None or r.schedule != "constant" or r.batch:
        return math.nan
    if r.name == "langevin" and r.temperature > 0.0:
        return math.nan
    return rule_rate(r, lams)  # from the rule's own linear map (nan where it has none)


def lane_rates(world: World, meter: RateMeter) -> dict[int, dict[str, Any]]:
    """rule id -> {"rate": measured rate per tick (nan until it is stable), "status":
    "measured" | "measuring" | "unsteady" | "floor" (the error is at the rounding floor and no rate was
    measured on the way in), "theory": exact rate per tick (nan where not known)}, for every
    lane the meter follows; "unsteady": a long history with no stable rate (adaptive rules,
    noise, no constant rate)."""
    lams = quadratic_eigs(world) if meter.lanes else None
    out: dict[int, dict[str, Any]] = {}
    for rid, held in meter.lanes.items():
        rate, status = measure(held[1].array())
        if status == "measuring" and held[2][0]:
            status = "floor"
        out[rid] = {"rate": rate, "status": status, "theory": theory_rate(world, rid, lams)}
    return out
