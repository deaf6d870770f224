"""The interface every landscape implements (built-in or parsed from a formula).

Positions are float64 arrays of shape [n, 2] (columns x, y) in world units.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

View = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax), world units


@dataclass
class Potential:
    """A landscape V(x, y) with an exact gradient and Hessian.

    Subclasses override `_value`, `_grad` and `_hessian`, which receive the x and y columns
    (each shape [n]) and return V [n], (dV/dx, dV/dy) and (Vxx, Vxy, Vyy).
    """

    name: str
    formula: str
    view: View
    minima: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # [k, 2] known minima
    minimum_values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [k] V at each minimum
    log_scale: bool = False  # shade the map on a log scale (huge dynamic range)
    bounded_below: bool = True
    partial: bool = False  # V may be nan/inf at finite points (log, sqrt, /): checked every tick
    axis_names: ClassVar[tuple[str, str] | None] = None  # a model's parameters (data landscapes)

    # -- identity ------------------------------------------------------------------------
    @property
    def cache_key(self) -> tuple:
        """A hashable key for caches of what is computed from this landscape (maps, arrows):
        the class and every compared field (name, formula text, view, minima, flags and a
        subclass's parameters), floats exact to the bit, arrays by dtype, shape and bytes.
        Two landscapes that differ in any of them never share a key. Made once and kept
        until an attribute is assigned (arrays are values: assign a new one, do not write
        into it)."""
        key = self.__dict__.get("_cache_key")
        if key is None:
            key = self.__dict__["_cache_key"] = self._key_parts()
        return key

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, value)
        self.__dict__.pop("_cache_key", None)  # made afresh on the next read

    def _key_parts(self) -> tuple:
        """The parts of `cache_key` (subclasses with state outside their fields add it)."""
        parts: list = [type(self).__module__, type(self).__qualname__]
        for f in fields(self):
            if f.compare:  # the others are derived from these (ExprPotential's trees)
                parts.append((f.name, _frozen(getattr(self, f.name))))
        return tuple(parts)

    def gradient_field(self, batch: int, rng: np.random.Generator) -> "Potential":
        """What a rule training on minibatches of `batch` examples takes gradients of: a
        landscape without examples has only its exact gradient (data landscapes draw)."""
        return self

    # -- public, vectorized -------------------------------------------------------------
    def value(self, pos: np.ndarray) -> np.ndarray:
        """V at each position: pos [n, 2] -> [n]."""
        pos = np.asarray(pos, dtype=np.float64)
        with np.errstate(all="ignore"):
            return np.asarray(self._value(pos[:, 0], pos[:, 1]), dtype=np.float64) * np.ones(len(pos))

    def grad(self, pos: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Exact gradient: pos [n, 2] -> [n, 2] (written into `out` when given)."""
        pos = np.asarray(pos, dtype=np.float64)
        if out is None:
            out = np.empty_like(pos)
        with np.errstate(all="ignore"):
            gx, gy = self._grad(pos[:, 0], pos[:, 1])
            out[:, 0] = gx
            out[:, 1] = gy
        return out

    def hessian(self, pos: np.ndarray) -> np.ndarray:
        """Exact Hessian: pos [n, 2] -> [n, 2, 2]."""
        pos = np.asarray(pos, dtype=np.float64)
        out = np.empty((len(pos), 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self._hessian(pos[:, 0], pos[:, 1])
            out[:, 0, 0] = hxx
            out[:, 0, 1] = hxy
            out[:, 1, 0] = hxy
            out[:, 1, 1] = hyy
        return out

    def value_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """V on a grid, x first (indexing="ij", as pygame.surfarray wants): xs [w], ys [h] -> [w, h]."""
        gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
        with np.errstate(all="ignore"):
            v = self._value(gx, gy)
        return np.broadcast_to(np.asarray(v, dtype=np.float64), gx.shape).copy()

    # -- for subclasses ------------------------------------------------------------------
    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError


def _frozen(v) -> object:
    """A hashable stand-in for a field's value: equal only for equal values (floats by their
    bits, so -0.0 and 0.0 differ and a NaN equals itself)."""
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, np.ascontiguousarray(v).tobytes())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        return float(v).hex()
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)):
        return (type(v).__name__,) + tuple(_frozen(x) for x in v)
    return ("repr", type(v).__qualname__, repr(v))
