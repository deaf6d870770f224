"""Two models with two parameters each: a line fit (linreg) and a linear classifier (logreg).

linreg: p = (w, b), V = mean((w x_i + b - y_i)^2).
logreg: p = (w1, w2), V = mean(log(1 + exp(z_i)) - label_i z_i) + (l2/2)|p|^2, z_i = p . x_i.
Positions are float64 [m, 2]; data as in `sim.data.sets`.
"""
from __future__ import annotations

import numpy as np

from sim.data.base import L2_DEFAULT, DataPotential, newton_minimum
from sim.data.sets import CLASSIFICATION, REGRESSION, Dataset, builtin

VIEW_HALF_MIN = 3.0  # a data landscape's view is centred on its minimum, at least this half-height
ASPECT = 4.0 / 3.0  # view width / height, as the classic landscapes
LOGREG_CHUNK = 2048  # balls per block in logreg (the [balls, n] temporaries stay in cache) ...
LOGREG_CELLS = 1 << 18  # ... and at most about this many (ball, example) cells per block


def _view_around(center: np.ndarray, reach: float) -> tuple[float, float, float, float]:
    half = max(VIEW_HALF_MIN, reach)
    cx, cy = (float(c) for c in center)
    return (cx - ASPECT * half, cx + ASPECT * half, cy - half, cy + half)


def _set_minimum(pot: DataPotential, p: np.ndarray | None) -> None:
    if p is None:
        minima = np.zeros((0, 2))
    else:
        minima = np.asarray(p, dtype=np.float64).reshape(1, 2).copy()
    values = pot.value(minima)
    minima.flags.writeable = False
    values.flags.writeable = False
    pot.minima = minima
    pot.minimum_values = values


class LinReg(DataPotential):
    """Mean squared error of the line y = w x + b: a quadratic bowl in (w, b).

    Evaluated around the least-squares point as V* + var(x) dw^2 + (mean(x) dw + db)^2
    (the same function, written as a sum of squares: never inf - inf far away).
    """

    kind = REGRESSION
    NS_PER_EXAMPLE = 0.0  # O(1) per point: every map point is exact
    axis_names = ("w", "b")  # a ball's coordinates: the line's slope and intercept

    def __init__(self, data: Dataset | None = None, name: str = "linreg") -> None:
        data = data if data is not None else builtin("line")
        if data.kind != REGRESSION:
            raise ValueError("linreg needs regression data: a CSV with columns x,y")
        x, y = data.x[:, 0], data.y
        self.xm = float(x.mean())
        self.vx = float(np.mean((x - self.xm) ** 2))
        ym = float(y.mean())
        cov = float(np.mean((x - self.xm) * (y - ym)))
        w = cov / self.vx if self.vx > 0 else 0.0
        self.center = np.array([w, ym - w * self.xm])
        self.v_min = float(np.mean((w * x + self.center[1] - y) ** 2))
        reach = 1.5 * float(np.abs(self.center).max())
        super().__init__(name, "mean((w·x + b − y)²)", data, _view_around(self.center, reach), 0.0)
        _set_minimum(self, self.center if self.vx > 0 else None)

    def cost_per_point(self) -> float:
        return 1.0

    def _parts(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dw = pos[:, 0] - self.center[0]
        s = self.xm * dw + (pos[:, 1] - self.center[1])
        return dw, s

    def _value_pos(self, pos):
        dw, s = self._parts(pos)
        return self.v_min + self.vx * dw * dw + s * s

    def _exact_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """V on the grid xs [w] x ys [h] -> [w, h] by broadcasting a column of w against a row
        of b: the same arithmetic per point as `_value_pos` (the same bits), no [w h, 2] array."""
        dw = (xs - self.center[0])[:, None]  # [w, 1]
        s = self.xm * dw + (ys - self.center[1])[None, :]  # [w, h]
        s *= s
        return self.v_min + self.vx * dw * dw + s

    def _grad_pos(self, pos):
        dw, s = self._parts(pos)
        g = np.empty_like(pos)
        g[:, 0] = 2.0 * (self.vx * dw + self.xm * s)
        g[:, 1] = 2.0 * s
        return g

    def _hessian_pos(self, pos):
        sxx = self.vx + self.xm * self.xm
        h = np.array([[2.0 * sxx, 2.0 * self.xm], [2.0 * self.xm, 2.0]])
        return np.broadcast_to(h, (len(pos), 2, 2)).copy()

    def example_grads(self, p):
        x, y = self.data.x[:, 0], self.data.y
        r = 2.0 * (p[0] * x + p[1] - y)
        return np.column_stack([r * x, r])

    def minibatch_grad(self, pos, idx, out=None):
        xb = self.data.x[:, 0][idx]  # [m, B]
        r = xb * pos[:, :1]
        r += pos[:, 1:2]
        r -= self.data.y[idx]
        out = np.empty((len(pos), 2)) if out is None else out
        k = 2.0 / idx.shape[1]
        gb = r.sum(axis=1) * k
        r *= xb
        out[:, 0] = r.sum(axis=1) * k
        out[:, 1] = gb
        return out

    def config(self) -> dict:
        return {}

    def example_hessians(self, p):
        """Each example's Hessian at p [2] (here the same everywhere): [n, 2, 2]."""
        v = np.column_stack([self.data.x[:, 0], np.ones(self.data.n)])
        return 2.0 * v[:, :, None] * v[:, None, :]


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus32(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) in float32 for maps: log(1 + e) instead of log1p (10x faster in float32
    here; the absolute error stays ~1e-7)."""
    e = np.exp(-np.abs(z))
    e += np.float32(1.0)
    np.log(e, out=e)
    e += np.maximum(z, np.float32(0.0))
    return e


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow: 1/(1 + e) for z >= 0, e/(1 + e) below, e = e^-|z|
    (each element the same arithmetic as two np.where branches; in place, one temporary)."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e + 1.0
    neg = z < 0
    np.divide(e, d, out=e, where=neg)
    np.divide(1.0, d, out=e, where=~neg)
    return e


class LogReg(DataPotential):
    """Mean binary cross-entropy of sigmoid(w . x) (a line through the origin) + (l2/2)|w|^2.

    Each example's loss is written softplus((1 - 2 label) z), the same function without the
    inf - inf of softplus(z) - label z far away."""

    kind = CLASSIFICATION
    NS_PER_EXAMPLE = 45.0
    axis_names = ("w1", "w2")  # a ball's coordinates: the classifier's two weights

    def __init__(self, data: Dataset | None = None, l2: float = L2_DEFAULT, name: str = "logreg") -> None:
        data = data if data is not None else builtin("blobs")
        if data.kind != CLASSIFICATION:
            raise ValueError("logreg needs classification data: a CSV with columns x1,x2,label")
        if not (np.isfinite(l2) and l2 >= 0):
            raise ValueError(f"--l2 must be a finite number >= 0, got {l2}")
        self.sign = 1.0 - 2.0 * data.y  # [n]: loss_i = softplus(sign_i z_i)
        super().__init__(name, "mean(log(1+e^z) − label·z) + (l2/2)|w|², z = w·x", data,
                         (-4.0, 4.0, -3.0, 3.0), l2)
        p = newton_minimum(self, np.zeros(2))
        if p is not None:  # the minimum and the origin (no model) both in view
            self.view = _view_around(0.5 * p, 0.8 * float(np.abs(p).max()))
        _set_minimum(self, p)

    def _reg(self, p: np.ndarray) -> np.ndarray | float:
        """(l2/2)|w|^2 [m] (0 without weight decay: no 0 * inf far away)."""
        return 0.5 * self.l2 * np.einsum("ij,ij->i", p, p) if self.l2 else 0.0

    def _blocks(self, pos: np.ndarray, f) -> list:
        """f over blocks of pos: the [balls, n] temporaries stay a few MB at any n (576 map
        points on 100,000 rows in one block of 2048 took ~660 MB)."""
        rows = max(1, min(LOGREG_CHUNK, LOGREG_CELLS // self.data.n))
        return [f(pos[i : i + rows]) for i in range(0, len(pos), rows)]

    def _value_pos(self, pos):
        def block(p):
            z = p @ self.data.x.T  # [m, n]
            z *= self.sign
            return _softplus(z).mean(axis=1) + self._reg(p)
        return np.concatenate(self._blocks(pos, block)) if len(pos) else np.zeros(0)

    def _map_values(self, pos):
        """V in float32 for the map (a picture: 5x faster than float64 here)."""
        x32, sign32 = self.data.x.astype(np.float32), self.sign.astype(np.float32)

        def block(p):
            z = p.astype(np.float32) @ x32.T
            z *= sign32
            return softplus32(z).mean(axis=1, dtype=np.float64) + self._reg(p)
        return np.concatenate(self._blocks(pos, block)) if len(pos) else np.zeros(0)

    def _grad_pos(self, pos):
        n = self.data.n

        def block(p):
            r = _sigmoid(p @ self.data.x.T) - self.data.y  # [m, n]
            return r @ self.data.x / n + self.l2 * p
        return np.concatenate(self._blocks(pos, block)) if len(pos) else np.zeros((0, 2))

    def _hessian_pos(self, pos):
        x = self.data.x
        s = _sigmoid(pos @ x.T)
        s = s * (1.0 - s) / self.data.n  # [m, n]
        h = np.einsum("mn,ni,nj->mij", s, x, x)
        h[:, 0, 0] += self.l2
        h[:, 1, 1] += self.l2
        return h

    def example_grads(self, p):
        r = _sigmoid(self.data.x @ p) - self.data.y
        return r[:, None] * self.data.x + self.l2 * np.asarray(p)[None, :]

    def minibatch_grad(self, pos, idx, out=None):
        xb = self.data.x[idx]  # [m, B, 2]
        z = np.einsum("mbi,mi->mb", xb, pos)
        r = _sigmoid(z) - self.data.y[idx]
        g = np.einsum("mb,mbi->mi", r, xb) / idx.shape[1] + self.l2 * pos
        if out is None:
            return g
        out[...] = g
        return out

    def example_hessians(self, p):
        """Each example's Hessian at p [2] (regularizer included): [n, 2, 2]."""
        x = self.data.x
        s = _sigmoid(x @ np.asarray(p, dtype=np.float64))
        return (s * (1.0 - s))[:, None, None] * x[:, :, None] * x[:, None, :] + self.l2 * np.eye(2)
