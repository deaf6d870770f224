"""Struct-of-arrays particle state with a fixed capacity that grows by doubling.

Every array has a leading axis of length `capacity`; only the first `n` rows are live. The
properties (`pos`, `vel`, ...) return views of those first `n` rows. Units: positions in world
units, velocities in world units per unit of simulated time.
"""
from __future__ import annotations

import numpy as np

ALIVE = np.uint8(0)
DIVERGED = np.uint8(1)
UNDEFINED = np.uint8(2)  # V or grad V stopped being finite: outside the landscape's domain

MAX_PARTICLES = 2_000_000  # the one ball limit (command line, window, scenes): beyond it a
# drop is refused with a clear message; a scene of this many balls is one the program reads back
MAX_STEP_COUNT = 2**53  # a saved step count or clock above this is refused (no 64-bit wrap, ever)

# name -> (trailing shape, dtype): every per-particle array
FIELDS: dict[str, tuple[tuple[int, ...], type]] = {
    "pos": ((2,), np.float64),  # position [n, 2]
    "vel": ((2,), np.float64),  # velocity [n, 2] (newton / langevin; optimizers: see dynamics)
    "prev": ((2,), np.float64),  # position one tick ago [n, 2] (interpolation, last finite)
    "grad": ((2,), np.float64),  # grad V at pos, cached by the newton family [n, 2]
    "buf_a": ((2,), np.float64),  # momentum buffer u / Adam first moment m [n, 2]
    "buf_b": ((2,), np.float64),  # AdaGrad sum / RMSProp, Adam second moment s [n, 2]
    "steps": ((), np.int64),  # optimizer step count t [n]
    "rule": ((), np.int16),  # index into World.rules [n]
    "status": ((), np.uint8),  # ALIVE, DIVERGED or UNDEFINED [n]
    "origin": ((2,), np.float64),  # drop point [n, 2]
    "origin_vel": ((2,), np.float64),  # velocity at drop [n, 2]
    "energy0": ((), np.float64),  # total energy at drop (or at the last ledger reset) [n]
    "dissipated": ((), np.float64),  # energy taken out by friction since then [n]
}


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays hold the same bytes (the first row is checked first: cheap when not)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if len(a) and a[:1].tobytes() != b[:1].tobytes():
        return False
    as_int = np.dtype(f"u{a.itemsize}")  # whole elements as unsigned integers: bits, fast
    return bool(np.array_equal(a.reshape(-1).view(as_int), b.reshape(-1).view(as_int)))


class CapacityError(ValueError):
    """Raised when a drop would exceed MAX_PARTICLES."""


class Particles:
    """Fixed-capacity particle arrays. Adding and removing are vector operations."""

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = max(int(capacity), 1)
        self.n = 0
        self._a: dict[str, np.ndarray] = {
            k: np.zeros((self.capacity, *shape), dtype=dt) for k, (shape, dt) in FIELDS.items()
        }

    # views of the live rows
    def __getattr__(self, name: str) -> np.ndarray:
        a = self.__dict__.get("_a")
        if a is not None and name in a:
            return a[name][: self.n]
        raise AttributeError(name)

    def extra_names(self) -> list[str]:
        """The extra buffers present (rule buffers added on demand: "<rule>:<buffer>")."""
        return [k for k in self._a if k not in FIELDS]

    def ensure(self, name: str, shape: tuple[int, ...], dtype=np.float64) -> None:
        """Add the extra buffer `name` [capacity, *shape] (zero) unless it is there with that
        shape; one there with another shape (a rule's size parameter changed) starts again at
        zero. Only the rules that need one pay for it."""
        a = self._a.get(name)
        if a is not None and a.shape[1:] == tuple(shape) and a.dtype == np.dtype(dtype):
            return
        self._a[name] = np.zeros((self.capacity, *shape), dtype=dtype)

    def keep_extra(self, names: set[str]) -> None:
        """Forget the extra buffers not named in `names`."""
        for k in self.extra_names():
            if k not in names:
                del self._a[k]

    def reset_extra(self, rows: slice | np.ndarray = slice(None)) -> None:
        """Zero every extra buffer at the given live rows (a change of rule)."""
        for k in self.extra_names():
            self._a[k][: self.n][rows] = 0

    def full(self, name: str) -> np.ndarray:
        """The whole backing array of a field (capacity rows), for preallocated buffers."""
        return self._a[name]

    def _reserve(self, need: int) -> None:
        if need > MAX_PARTICLES:
            raise CapacityError(
                f"particle limit reached: {need:,} requested, at most {MAX_PARTICLES:,}"
            )
        if need <= self.capacity:
            return
        cap = self.capacity
        while cap < need:
            cap *= 2
        cap = min(cap, MAX_PARTICLES)
        for k, arr in self._a.items():
            new = np.zeros((cap, *arr.shape[1:]), dtype=arr.dtype)
            new[: self.n] = arr[: self.n]
            self._a[k] = new
        self.capacity = cap

    def add(self, pos: np.ndarray, vel: np.ndarray | None = None, rule: int | np.ndarray = 0) -> slice:
        """Append k particles at pos [k, 2] with velocity vel [k, 2]; returns their row slice.

        Every buffer starts fresh (zero), as a new torch optimizer would.
        """
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        k = len(pos)
        if vel is None:
            vel = np.zeros_like(pos)
        vel = np.broadcast_to(np.asarray(vel, dtype=np.float64).reshape(-1, 2), pos.shape)
        self._reserve(self.n + k)
        s = slice(self.n, self.n + k)
        a = self._a
        for name in a:
            a[name][s] = 0
        a["pos"][s] = pos
        a["prev"][s] = pos
        a["origin"][s] = pos
        a["vel"][s] = vel
        a["origin_vel"][s] = vel
        a["rule"][s] = rule
        self.n += k
        return s

    def keep(self, mask: np.ndarray) -> int:
        """Keep only the rows where mask [n] is True (order preserved); returns how many went."""
        mask = np.asarray(mask, dtype=bool)
        kept = int(mask.sum())
        removed = self.n - kept
        if removed == 0:
            return 0
        for arr in self._a.values():
            arr[:kept] = arr[: self.n][mask]
        self.n = kept
        return removed

    def clear(self) -> None:
        self.n = 0

    def snapshot(self, like: dict[str, np.ndarray] | None = None,
                 unchanged: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """A copy of every field's live rows: name -> [n, ...]. A field whose rows equal
        `like`'s bit for bit is not copied: `like`'s array is returned in its place (the
        fields named in `unchanged` without comparing: the caller knows they are equal)."""
        out = {}
        for k, arr in self._a.items():
            live = arr[: self.n]
            old = like.get(k) if like is not None else None
            same = old is not None and (k in unchanged or _same_bits(live, old))
            out[k] = old if same else live.copy()
        return out

    def load(self, arrays: dict[str, np.ndarray]) -> None:
        """Replace the live rows with copies of `arrays` (every field, as `snapshot` gives; the
        extra buffers become exactly those in `arrays`)."""
        n = len(arrays["pos"])
        self.keep_extra(set(arrays))
        for k, arr in arrays.items():
            if k not in FIELDS:
                self.ensure(k, arr.shape[1:], arr.dtype)
        self._reserve(n)
        for k, arr in self._a.items():
            arr[:n] = arrays[k]
        self.n = n

    def fill(self, arrays: dict[str, np.ndarray]) -> None:
        """Replace every particle by the given arrays (FIELDS names, n rows each, any dtype
        that converts; the rules' extra buffers "<rule>:<buffer>" as given). CapacityError
        beyond the ball limit."""
        self.clear()
        self.keep_extra(set(arrays))
        self.add(np.asarray(arrays["pos"], dtype=np.float64))
        for k, (_, dtype) in FIELDS.items():
            getattr(self, k)[:] = np.asarray(arrays[k]).astype(dtype, copy=False)
        for k, arr in arrays.items():  # the rules' extra buffers ("<rule>:<buffer>")
            if k not in FIELDS:
                arr = np.asarray(arr)
                self.ensure(k, arr.shape[1:], arr.dtype)
                self.full(k)[: self.n] = arr

    def back_to_origin(self) -> None:
        """Every particle at its drop point with its drop velocity, alive, with fresh state."""
        self.pos[:] = self.origin
        self.prev[:] = self.origin
        self.vel[:] = self.origin_vel
        self.status[:] = ALIVE
        self.reset_state()

    def reset_state(self, rows: slice | np.ndarray = slice(None)) -> None:
        """Fresh optimizer state (buffers, step counts, ledger) for the given live rows."""
        for name in ("buf_a", "buf_b", "steps", "dissipated", "grad", *self.extra_names()):
            self._a[name][: self.n][rows] = 0

    def n_undefined(self) -> int:
        return int(np.count_nonzero(self.status == UNDEFINED))
